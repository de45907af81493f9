package io.jsteer.weights.safetensors;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Hugging Face tensor names (llama, mistral, qwen2, qwen3) ↔ GGUF names. */
public final class HfTensorNames {

    private HfTensorNames() {}

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.(weight|bias)");

    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    private static final Map<String, String> BLOCK = Map.ofEntries(
            Map.entry("self_attn.q_norm", "attn_q_norm"),
            Map.entry("self_attn.k_norm", "attn_k_norm"),
            Map.entry("self_attn.q_proj", "attn_q"),
            Map.entry("self_attn.k_proj", "attn_k"),
            Map.entry("self_attn.v_proj", "attn_v"),
            Map.entry("self_attn.o_proj", "attn_output"),
            Map.entry("mlp.gate_proj", "ffn_gate"),
            Map.entry("mlp.up_proj", "ffn_up"),
            Map.entry("mlp.down_proj", "ffn_down"),
            Map.entry("input_layernorm", "attn_norm"),
            Map.entry("post_attention_layernorm", "ffn_norm"));

    /**
     * The GGUF name of an HF tensor; empty for tensors that carry no weights (the legacy
     * {@code rotary_emb.inv_freq} buffers). Unknown names are kept as they are.
     */
    public static Optional<String> toGguf(String hfName) {
        if (hfName.endsWith("rotary_emb.inv_freq")) {
            return Optional.empty();
        }
        String global = GLOBAL.get(hfName);
        if (global != null) {
            return Optional.of(global);
        }
        Matcher m = LAYER.matcher(hfName);
        if (m.matches()) {
            String part = BLOCK.get(m.group(2));
            if (part != null) {
                return Optional.of("blk." + Integer.parseInt(m.group(1)) + "." + part + "." + m.group(3));
            }
        }
        return Optional.of(hfName);
    }

    /** The HF name of a GGUF llama tensor name (inverse of {@link #toGguf}). */
    public static String toHf(String ggufName) {
        for (Map.Entry<String, String> e : GLOBAL.entrySet()) {
            if (e.getValue().equals(ggufName)) {
                return e.getKey();
            }
        }
        Matcher m = Pattern.compile("blk\\.(\\d+)\\.(.+)\\.(weight|bias)").matcher(ggufName);
        if (m.matches()) {
            for (Map.Entry<String, String> e : BLOCK.entrySet()) {
                if (e.getValue().equals(m.group(2))) {
                    return "model.layers." + m.group(1) + "." + e.getKey() + "." + m.group(3);
                }
            }
        }
        return ggufName;
    }
}
