package io.jsteer.weights.safetensors;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Hugging Face llama tensor names ↔ GGUF llama names. */
public final class HfTensorNames {

    private HfTensorNames() {}

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)\\.weight");

    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "model.norm.weight", "output_norm.weight",
            "lm_head.weight", "output.weight");

    private static final Map<String, String> BLOCK = Map.of(
            "self_attn.q_proj", "attn_q",
            "self_attn.k_proj", "attn_k",
            "self_attn.v_proj", "attn_v",
            "self_attn.o_proj", "attn_output",
            "mlp.gate_proj", "ffn_gate",
            "mlp.up_proj", "ffn_up",
            "mlp.down_proj", "ffn_down",
            "input_layernorm", "attn_norm",
            "post_attention_layernorm", "ffn_norm");

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
                return Optional.of("blk." + Integer.parseInt(m.group(1)) + "." + part + ".weight");
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
        Matcher m = Pattern.compile("blk\\.(\\d+)\\.(.+)\\.weight").matcher(ggufName);
        if (m.matches()) {
            for (Map.Entry<String, String> e : BLOCK.entrySet()) {
                if (e.getValue().equals(m.group(2))) {
                    return "model.layers." + m.group(1) + "." + e.getKey() + ".weight";
                }
            }
        }
        return ggufName;
    }
}
