package io.jsteer.model;

import java.util.Map;

/**
 * Hyper-parameters of a model of one of the {@link ModelFamily families}, read from GGUF-style
 * metadata (every jsteer reader provides those keys, whatever the file format): the one
 * description that the CPU engine, the trainable path and the GPU plan all follow.
 *
 * @param dim            width of the residual stream
 * @param hiddenDim      width of the SwiGLU feed-forward layer
 * @param nLayers        number of transformer blocks
 * @param nHeads         query heads
 * @param nKvHeads       key/value heads (grouped-query attention when fewer than nHeads)
 * @param vocabSize      rows of the embedding and of the classifier
 * @param contextLength  positions the model was configured for
 * @param rmsEps         RMSNorm epsilon
 * @param ropeTheta      RoPE base
 * @param ropeStyle      how dimensions are paired for RoPE
 * @param ropeScaling    Llama 3 frequency scaling, or null
 * @param tiedEmbeddings whether the classifier is the token embedding
 * @param family         which optional tensors a block has (biases, per-head norms)
 * @param headSize       width of one attention head; dim / nHeads except for models such as
 *                       Qwen3 whose heads together are wider than the stream
 * @param slidingWindow  positions a query sees (itself included) with sliding-window attention
 *                       (Mistral v0.1), 0 for full causal attention
 */
public record LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                          int contextLength, float rmsEps, float ropeTheta, RopeStyle ropeStyle,
                          RopeScaling ropeScaling, boolean tiedEmbeddings, ModelFamily family, int headSize,
                          int slidingWindow) {

    public LlamaConfig {
        require(dim > 0, "embedding_length", dim);
        require(hiddenDim > 0, "feed_forward_length", hiddenDim);
        require(nLayers > 0, "block_count", nLayers);
        require(nHeads > 0, "attention.head_count", nHeads);
        require(nKvHeads > 0 && nHeads % nKvHeads == 0, "attention.head_count_kv (must divide " + nHeads + ")", nKvHeads);
        require(headSize > 0 && headSize % 2 == 0, "attention.key_length (head size, must be even for RoPE)", headSize);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(contextLength > 0, "context_length", contextLength);
        require(rmsEps > 0 && rmsEps < 1, "attention.layer_norm_rms_epsilon", rmsEps);
        require(ropeTheta > 0, "rope.freq_base", ropeTheta);
        require(slidingWindow >= 0, "attention.sliding_window", slidingWindow);
        java.util.Objects.requireNonNull(family, "family");
        java.util.Objects.requireNonNull(ropeStyle, "ropeStyle");
    }

    /** A Llama model whose heads split the stream evenly, with full causal attention. */
    public LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                       int contextLength, float rmsEps, float ropeTheta, RopeStyle ropeStyle,
                       RopeScaling ropeScaling, boolean tiedEmbeddings) {
        this(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, contextLength, rmsEps, ropeTheta, ropeStyle,
                ropeScaling, tiedEmbeddings, ModelFamily.LLAMA, evenHeads(dim, nHeads), 0);
    }

    private static int evenHeads(int dim, int nHeads) {
        require(nHeads > 0 && dim % nHeads == 0, "attention.head_count (must divide " + dim + ")", nHeads);
        return dim / nHeads;
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model config: " + field + " = " + value);
        }
    }

    /** This config for another family, head size and window (tests and converters). */
    public LlamaConfig withFamily(ModelFamily f, int headSize, int slidingWindow) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, contextLength, rmsEps, ropeTheta,
                ropeStyle, ropeScaling, tiedEmbeddings, f, headSize, slidingWindow);
    }

    /** Width of all query heads together: the attention output (attn_heads) and wo's input. */
    public int qDim() { return nHeads * headSize; }

    public int kvDim() { return nKvHeads * headSize; }

    /** Query heads that share one KV head. */
    public int kvGroup() { return nHeads / nKvHeads; }

    /** Values at a site: the residual stream's width, the concatenated heads at attn_heads. */
    public int siteWidth(io.jsteer.model.intervene.SiteKind kind) {
        return kind == io.jsteer.model.intervene.SiteKind.ATTN_HEADS ? qDim() : dim;
    }

    /** First position a query at {@code pos} attends to (0 without a sliding window). */
    public int firstVisible(int pos) {
        return slidingWindow > 0 ? Math.max(0, pos - slidingWindow + 1) : 0;
    }

    /** Parameter count of the weights (classifier counted once when tied). */
    public long parameterCount() {
        long perLayer = 2L * dim + 2L * dim * qDim() + 2L * dim * kvDim() + 3L * dim * hiddenDim
                + (family.qkvBias() ? qDim() + 2L * kvDim() : 0) + (family.qkNorm() ? 2L * headSize : 0);
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + dim + perLayer * nLayers;
    }

    /**
     * Reads {@code general.architecture} and that family's keys ({@code llama.*}, {@code qwen2.*},
     * ...); vocab size from {@code ARCH.vocab_size} or the token list.
     */
    public static LlamaConfig fromMetadata(Map<String, Object> meta) {
        ModelFamily family = ModelFamily.fromArchitecture(string(meta, "general.architecture", "llama"));
        String a = family.architecture() + ".";
        int vocab;
        if (meta.get(a + "vocab_size") instanceof Number n) {
            vocab = n.intValue();
        } else if (meta.get("tokenizer.ggml.tokens") instanceof java.util.List<?> tokens) {
            vocab = tokens.size();
        } else {
            vocab = -1;
        }
        int dim = integer(meta, a + "embedding_length");
        int heads = integer(meta, a + "attention.head_count");
        int headSize = meta.containsKey(a + "attention.key_length") ? integer(meta, a + "attention.key_length")
                : evenHeads(dim, heads);
        if (meta.containsKey(a + "attention.value_length") && integer(meta, a + "attention.value_length") != headSize) {
            throw new IllegalArgumentException("model metadata " + a + "attention.value_length = "
                    + meta.get(a + "attention.value_length") + " differs from the key length " + headSize
                    + " (jsteer needs equal key and value head sizes)");
        }
        if (meta.get(a + "rope.dimension_count") instanceof Number n && n.intValue() != headSize) {
            throw new IllegalArgumentException("model metadata " + a + "rope.dimension_count = " + n
                    + ": partial rotary embeddings are not supported (head size " + headSize + ")");
        }
        RopeScaling scaling = null;
        Object type = meta.get(a + "rope.scaling.type");
        if ("llama3".equals(type)) {
            scaling = new RopeScaling(floating(meta, a + "rope.scaling.factor", 8f),
                    floating(meta, a + "rope.scaling.low_freq_factor", 1f),
                    floating(meta, a + "rope.scaling.high_freq_factor", 4f),
                    (int) floating(meta, a + "rope.scaling.original_context_length", 8192f));
        } else if (type != null && !"none".equals(type)) {
            throw new IllegalArgumentException("model metadata " + a + "rope.scaling.type = " + type
                    + " is not supported (jsteer knows llama3 and none)");
        }
        Object tied = meta.get("jsteer.tied_embeddings");
        Object window = meta.get(a + "attention.sliding_window");
        return new LlamaConfig(dim,
                integer(meta, a + "feed_forward_length"),
                integer(meta, a + "block_count"),
                heads,
                meta.containsKey(a + "attention.head_count_kv") ? integer(meta, a + "attention.head_count_kv") : heads,
                vocab,
                integer(meta, a + "context_length"),
                floating(meta, a + "attention.layer_norm_rms_epsilon", 1e-5f),
                floating(meta, a + "rope.freq_base", 10000f),
                meta.get("jsteer.rope.style") instanceof String s ? RopeStyle.parse(s) : family.ggufRopeStyle(),
                scaling,
                tied instanceof Boolean b && b,
                family, headSize,
                window instanceof Number n && n.longValue() > 0 ? integer(meta, a + "attention.sliding_window") : 0);
    }

    private static int integer(Map<String, Object> meta, String key) {
        Object v = meta.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("model metadata lacks " + key + (v == null ? "" : " (found " + v + ")"));
        }
        long l = n.longValue();
        if (l <= 0 || l > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("model metadata " + key + " = " + l + " is out of range");
        }
        return (int) l;
    }

    private static float floating(Map<String, Object> meta, String key, float fallback) {
        return meta.get(key) instanceof Number n ? n.floatValue() : fallback;
    }

    private static String string(Map<String, Object> meta, String key, String fallback) {
        return meta.get(key) instanceof String s ? s : fallback;
    }
}
