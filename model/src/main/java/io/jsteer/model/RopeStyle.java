package io.jsteer.model;

/** How query/key dimensions are paired for rotary embeddings. */
public enum RopeStyle {
    /** Adjacent pairs (x[2i], x[2i+1]): llama2.c, GGUF llama ("normal" in ggml). */
    NORMAL,
    /** Halves (x[i], x[i + hs/2]): Hugging Face's rotate_half ("neox" in ggml). */
    NEOX;

    public static RopeStyle parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "normal", "norm" -> NORMAL;
            case "neox" -> NEOX;
            default -> throw new IllegalArgumentException("unknown rope style '" + s + "' (expected normal or neox)");
        };
    }
}
