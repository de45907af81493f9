package io.jsteer.weights;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hyper-parameters of a model of the llama block's families: enough to lay out every tensor and
 * write the metadata. {@code ropeScaling} is null for models without llama3-style RoPE scaling;
 * {@code architecture} is the GGUF architecture (llama, qwen2 with q/k/v biases, qwen3 with per-head
 * q/k norms); {@code headDim} is 0 when the heads split the stream ({@code dim / heads}), otherwise
 * the head width (Qwen3's heads are wider than the stream); {@code slidingWindow} is 0 without one.
 */
public record ModelShape(String name, int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                         int contextLength, float ropeTheta, float rmsEpsilon, Llama3RopeScaling ropeScaling,
                         boolean tiedEmbeddings, String architecture, int headDim, int slidingWindow) {

    /** The architectures whose tensors {@link #tensors()} lays out (the families the model module runs). */
    public static final List<String> ARCHITECTURES = List.of("llama", "qwen2", "qwen3");

    /** llama3 RoPE scaling parameters (config.json's rope_scaling with rope_type "llama3"). */
    public record Llama3RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, long originalContextLength) {
    }

    /** A tensor of the layout: GGUF name and shape outermost first. */
    public record TensorShape(String name, long[] shape) {
        public long elementCount() { return TensorData.elementCount(shape); }
    }

    /** A llama-architecture shape whose heads split the stream, without a window. */
    public ModelShape(String name, int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                      int contextLength, float ropeTheta, float rmsEpsilon, Llama3RopeScaling ropeScaling, boolean tiedEmbeddings) {
        this(name, dim, hiddenDim, layers, heads, kvHeads, vocabSize, contextLength, ropeTheta, rmsEpsilon, ropeScaling,
                tiedEmbeddings, "llama", 0, 0);
    }

    public ModelShape {
        if (dim <= 0 || hiddenDim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocabSize <= 0 || contextLength <= 0
                || headDim < 0 || slidingWindow < 0) {
            throw new IllegalArgumentException("all sizes of " + name + " must be positive");
        }
        if (!ARCHITECTURES.contains(architecture)) {
            throw new IllegalArgumentException(name + ": architecture '" + architecture + "' is not one of " + ARCHITECTURES);
        }
        if (headDim == 0 && dim % heads != 0 || heads % kvHeads != 0 || (headDim == 0 ? dim / heads : headDim) % 2 != 0) {
            throw new IllegalArgumentException(name + ": heads must divide dim into even head sizes and kv heads divide heads");
        }
    }

    public int headSize() { return headDim > 0 ? headDim : dim / heads; }

    /** Width of the concatenated query heads (the attention output): {@code dim} unless the heads are wider. */
    public int qDim() { return heads * headSize(); }

    /**
     * The same widths under another architecture: {@code qwen2} adds q/k/v biases, {@code qwen3}
     * per-head q/k norms; the name says so, e.g. {@code llama2-110m-qwen2}.
     */
    public ModelShape withArchitecture(String arch) {
        return arch.equals(architecture) ? this : new ModelShape(name + "-" + arch, dim, hiddenDim, layers, heads, kvHeads,
                vocabSize, contextLength, ropeTheta, rmsEpsilon, ropeScaling, tiedEmbeddings, arch, headDim, slidingWindow);
    }

    /**
     * The same widths with only the first {@code n} blocks (a real-shape smoke model whose depth fits
     * the machine); the name says so, e.g. {@code llama3.1-8b-2of32}.
     */
    public ModelShape withLayers(int n) {
        if (n < 1 || n > layers) {
            throw new IllegalArgumentException("--blocks must be 1 to " + layers + " for " + name + ", got " + n);
        }
        return n == layers ? this : new ModelShape(name + "-" + n + "of" + layers, dim, hiddenDim, n, heads, kvHeads, vocabSize,
                contextLength, ropeTheta, rmsEpsilon, ropeScaling, tiedEmbeddings, architecture, headDim, slidingWindow);
    }

    /** The same shape with another vocabulary size (a tokenizer of another size; the classifier shrinks with it). */
    public ModelShape withVocabSize(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("--vocab-size must be at least 1, got " + n);
        }
        return n == vocabSize ? this : new ModelShape(name + "-v" + n, dim, hiddenDim, layers, heads, kvHeads, n, contextLength,
                ropeTheta, rmsEpsilon, ropeScaling, tiedEmbeddings, architecture, headDim, slidingWindow);
    }

    public int kvDim() { return kvHeads * headSize(); }

    /** Every tensor in the order a llama GGUF lists them (embedding, blocks, final norm, classifier). */
    public List<TensorShape> tensors() {
        List<TensorShape> out = new ArrayList<>();
        out.add(new TensorShape(LlamaKeys.TOKEN_EMBD, new long[] {vocabSize, dim}));
        for (int l = 0; l < layers; l++) {
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "attn_norm"), new long[] {dim}));
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "attn_q"), new long[] {qDim(), dim}));
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "attn_k"), new long[] {kvDim(), dim}));
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "attn_v"), new long[] {kvDim(), dim}));
            if (architecture.equals("qwen2")) {
                String p = "blk." + l + ".";
                out.add(new TensorShape(p + "attn_q.bias", new long[] {qDim()}));
                out.add(new TensorShape(p + "attn_k.bias", new long[] {kvDim()}));
                out.add(new TensorShape(p + "attn_v.bias", new long[] {kvDim()}));
            }
            if (architecture.equals("qwen3")) {
                String p = "blk." + l + ".";
                out.add(new TensorShape(p + "attn_q_norm.weight", new long[] {headSize()}));
                out.add(new TensorShape(p + "attn_k_norm.weight", new long[] {headSize()}));
            }
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "attn_output"), new long[] {dim, qDim()}));
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "ffn_norm"), new long[] {dim}));
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "ffn_gate"), new long[] {hiddenDim, dim}));
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "ffn_down"), new long[] {dim, hiddenDim}));
            out.add(new TensorShape(LlamaKeys.blockTensor(l, "ffn_up"), new long[] {hiddenDim, dim}));
        }
        out.add(new TensorShape(LlamaKeys.OUTPUT_NORM, new long[] {dim}));
        if (!tiedEmbeddings) {
            out.add(new TensorShape(LlamaKeys.OUTPUT, new long[] {vocabSize, dim}));
        }
        return out;
    }

    public long parameterCount() {
        return tensors().stream().mapToLong(TensorShape::elementCount).sum();
    }

    /**
     * The metadata for this shape, under the architecture's key prefix as llama.cpp's converter
     * writes them ({@code llama.*}, {@code qwen2.*}, ...).
     */
    public Map<String, Object> metadata() {
        return LlamaKeys.forArchitecture(llamaMetadata(), architecture);
    }

    private Map<String, Object> llamaMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(LlamaKeys.ARCHITECTURE, "llama");
        m.put(LlamaKeys.NAME, name);
        m.put(LlamaKeys.CONTEXT_LENGTH, (long) contextLength);
        m.put(LlamaKeys.EMBEDDING_LENGTH, (long) dim);
        m.put(LlamaKeys.FEED_FORWARD_LENGTH, (long) hiddenDim);
        m.put(LlamaKeys.BLOCK_COUNT, (long) layers);
        m.put(LlamaKeys.HEAD_COUNT, (long) heads);
        m.put(LlamaKeys.HEAD_COUNT_KV, (long) kvHeads);
        m.put(LlamaKeys.ROPE_DIMENSION_COUNT, (long) headSize());
        m.put(LlamaKeys.RMS_EPSILON, rmsEpsilon);
        m.put(LlamaKeys.ROPE_FREQ_BASE, ropeTheta);
        m.put(LlamaKeys.VOCAB_SIZE, (long) vocabSize);
        if (ropeScaling != null) {
            m.put(LlamaKeys.ROPE_SCALING_TYPE, "llama3");
            m.put(LlamaKeys.ROPE_SCALING_FACTOR, ropeScaling.factor());
            m.put(LlamaKeys.ROPE_SCALING_LOW_FREQ_FACTOR, ropeScaling.lowFreqFactor());
            m.put(LlamaKeys.ROPE_SCALING_HIGH_FREQ_FACTOR, ropeScaling.highFreqFactor());
            m.put(LlamaKeys.ROPE_SCALING_ORIGINAL_CONTEXT, ropeScaling.originalContextLength());
        }
        if (headDim > 0) {
            m.put("llama.attention.key_length", (long) headDim);
            m.put("llama.attention.value_length", (long) headDim);
        }
        if (slidingWindow > 0) {
            m.put("llama.attention.sliding_window", (long) slidingWindow);
        }
        if (architecture.equals("llama")) {
            // the Qwen families' GGUF RoPE is NEOX by architecture; llama files say the row order they hold
            m.put(LlamaKeys.ROPE_STYLE, LlamaKeys.ROPE_STYLE_NORMAL);
        }
        m.put(LlamaKeys.TIED_EMBEDDINGS, tiedEmbeddings);
        return m;
    }
}
