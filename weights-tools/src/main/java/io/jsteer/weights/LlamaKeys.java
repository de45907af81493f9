package io.jsteer.weights;

/**
 * Metadata keys of the unified view. They are GGUF's llama key names so that a GGUF file needs
 * no translation; jsteer's own additions live under {@code jsteer.}.
 */
public final class LlamaKeys {

    private LlamaKeys() {}

    public static final String ARCHITECTURE = "general.architecture";
    public static final String NAME = "general.name";
    public static final String ALIGNMENT = "general.alignment";
    public static final String FILE_TYPE = "general.file_type";
    public static final String QUANTIZATION_VERSION = "general.quantization_version";
    public static final String EMBEDDING_LENGTH = "llama.embedding_length";
    public static final String FEED_FORWARD_LENGTH = "llama.feed_forward_length";
    public static final String BLOCK_COUNT = "llama.block_count";
    public static final String HEAD_COUNT = "llama.attention.head_count";
    public static final String HEAD_COUNT_KV = "llama.attention.head_count_kv";
    public static final String CONTEXT_LENGTH = "llama.context_length";
    public static final String RMS_EPSILON = "llama.attention.layer_norm_rms_epsilon";
    public static final String ROPE_FREQ_BASE = "llama.rope.freq_base";
    public static final String ROPE_DIMENSION_COUNT = "llama.rope.dimension_count";
    public static final String VOCAB_SIZE = "llama.vocab_size";
    public static final String ROPE_SCALING_TYPE = "llama.rope.scaling.type";
    public static final String ROPE_SCALING_FACTOR = "llama.rope.scaling.factor";
    public static final String ROPE_SCALING_LOW_FREQ_FACTOR = "llama.rope.scaling.low_freq_factor";
    public static final String ROPE_SCALING_HIGH_FREQ_FACTOR = "llama.rope.scaling.high_freq_factor";
    public static final String ROPE_SCALING_ORIGINAL_CONTEXT = "llama.rope.scaling.original_context_length";
    /** "normal": RoPE rotates adjacent pairs (GGUF, llama2.c); "neox": rotate-half (Hugging Face). */
    public static final String ROPE_STYLE = "jsteer.rope.style";
    /** Boolean: the classifier is the token embedding (no {@code output.weight} tensor needed). */
    public static final String TIED_EMBEDDINGS = "jsteer.tied_embeddings";

    public static final String ROPE_STYLE_NORMAL = "normal";
    public static final String ROPE_STYLE_NEOX = "neox";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";

    /** Tensor names (GGUF llama names). */
    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String OUTPUT = "output.weight";

    /**
     * {@code llamaMetadata} (keys under {@code llama.}) as architecture {@code arch} writes it: the
     * same keys under the family's prefix ({@code qwen2.*}, ...), as llama.cpp's converter does, and
     * {@code general.architecture = arch}; llama metadata is returned as it is.
     */
    public static java.util.Map<String, Object> forArchitecture(java.util.Map<String, Object> llamaMetadata, String arch) {
        if (arch.equals("llama")) {
            return llamaMetadata;
        }
        java.util.Map<String, Object> renamed = new java.util.LinkedHashMap<>();
        llamaMetadata.forEach((k, v) -> renamed.put(k.startsWith("llama.") ? arch + k.substring("llama".length()) : k, v));
        renamed.put(ARCHITECTURE, arch);
        return renamed;
    }

    /** {@code blk.<layer>.<part>.weight}, e.g. {@code blockTensor(3, "attn_q")}. */
    public static String blockTensor(int layer, String part) {
        return "blk." + layer + "." + part + ".weight";
    }

    /** The per-block tensor parts in llama.cpp's naming. */
    public static final java.util.List<String> BLOCK_PARTS = java.util.List.of(
            "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output",
            "ffn_norm", "ffn_gate", "ffn_down", "ffn_up");
}
