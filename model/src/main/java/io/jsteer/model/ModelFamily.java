package io.jsteer.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The model families jsteer runs, all the same pre-norm decoder block (RMSNorm, rotary
 * grouped-query attention, SwiGLU) with a few switches. The family says which optional tensors a
 * block has; everything numeric (dimensions, RoPE base and scaling, sliding window) lives in
 * {@link LlamaConfig}. Adding a family: a constant here, its tensors in {@link LlamaWeights#load},
 * and its HF names in weights-tools' {@code HfTensorNames} (README, "Model families").
 */
public enum ModelFamily {
    /** Llama 1/2/3.x, TinyLlama, SmolLM, Mistral (GGUF architecture "llama"). */
    LLAMA("llama", RopeStyle.NORMAL, false, false),
    /** Qwen2 / Qwen2.5: biases on the q, k and v projections. */
    QWEN2("qwen2", RopeStyle.NEOX, true, false),
    /** Qwen3: an RMSNorm over each query and key head before RoPE, no biases. */
    QWEN3("qwen3", RopeStyle.NEOX, false, true);

    private final String architecture;
    private final RopeStyle ggufRopeStyle;
    private final boolean qkvBias;
    private final boolean qkNorm;

    ModelFamily(String architecture, RopeStyle ggufRopeStyle, boolean qkvBias, boolean qkNorm) {
        this.architecture = architecture;
        this.ggufRopeStyle = ggufRopeStyle;
        this.qkvBias = qkvBias;
        this.qkNorm = qkNorm;
    }

    /** GGUF {@code general.architecture}, also the prefix of the family's metadata keys. */
    public String architecture() { return architecture; }

    /**
     * How GGUF files of this family pair RoPE dimensions: llama.cpp's converter permutes Llama's
     * q/k rows to adjacent pairs, and leaves Qwen's in Hugging Face's rotate-half layout.
     */
    public RopeStyle ggufRopeStyle() { return ggufRopeStyle; }

    /** Whether q, k and v projections add a bias ({@code attn_q.bias} ...). */
    public boolean qkvBias() { return qkvBias; }

    /** Whether each query and key head is RMS-normalised ({@code attn_q_norm}, {@code attn_k_norm}). */
    public boolean qkNorm() { return qkNorm; }

    /** The family of a GGUF {@code general.architecture}, with the supported list when unknown. */
    public static ModelFamily fromArchitecture(String arch) {
        for (ModelFamily f : values()) {
            if (f.architecture.equals(arch)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unsupported architecture '" + arch + "' (general.architecture); jsteer runs "
                + supported());
    }

    /** "llama, qwen2, qwen3". */
    public static String supported() {
        return Arrays.stream(values()).map(ModelFamily::architecture).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() { return architecture.toLowerCase(Locale.ROOT); }
}
