package io.jsteer.model;

import java.util.Map;

/**
 * Hyper-parameters of a Llama model, read from GGUF-style metadata (every jsteer reader
 * provides those keys, whatever the file format).
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
 */
public record LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize,
                          int contextLength, float rmsEps, float ropeTheta, RopeStyle ropeStyle,
                          RopeScaling ropeScaling, boolean tiedEmbeddings) {

    public LlamaConfig {
        require(dim > 0, "embedding_length", dim);
        require(hiddenDim > 0, "feed_forward_length", hiddenDim);
        require(nLayers > 0, "block_count", nLayers);
        require(nHeads > 0 && dim % nHeads == 0, "attention.head_count (must divide " + dim + ")", nHeads);
        require(nKvHeads > 0 && nHeads % nKvHeads == 0, "attention.head_count_kv (must divide " + nHeads + ")", nKvHeads);
        require((dim / nHeads) % 2 == 0, "head size (must be even for RoPE)", dim / nHeads);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(contextLength > 0, "context_length", contextLength);
        require(rmsEps > 0 && rmsEps < 1, "attention.layer_norm_rms_epsilon", rmsEps);
        require(ropeTheta > 0, "rope.freq_base", ropeTheta);
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model config: " + field + " = " + value);
        }
    }

    public int headSize() { return dim / nHeads; }

    public int kvDim() { return nKvHeads * headSize(); }

    /** Query heads that share one KV head. */
    public int kvGroup() { return nHeads / nKvHeads; }

    /** Parameter count of the weights (classifier counted once when tied). */
    public long parameterCount() {
        long perLayer = 2L * dim + (long) dim * dim * 2 + 2L * dim * kvDim() + 3L * dim * hiddenDim;
        return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + dim + perLayer * nLayers;
    }

    /** Reads the llama.* keys; vocab size from {@code llama.vocab_size} or the token list. */
    public static LlamaConfig fromMetadata(Map<String, Object> meta) {
        String arch = string(meta, "general.architecture", "llama");
        if (!arch.equals("llama")) {
            throw new IllegalArgumentException("unsupported architecture '" + arch + "' (general.architecture); jsteer runs llama");
        }
        int vocab;
        if (meta.get("llama.vocab_size") instanceof Number n) {
            vocab = n.intValue();
        } else if (meta.get("tokenizer.ggml.tokens") instanceof java.util.List<?> tokens) {
            vocab = tokens.size();
        } else {
            vocab = -1;
        }
        int dim = integer(meta, "llama.embedding_length");
        int heads = integer(meta, "llama.attention.head_count");
        RopeScaling scaling = null;
        Object type = meta.get("llama.rope.scaling.type");
        if ("llama3".equals(type)) {
            scaling = new RopeScaling(floating(meta, "llama.rope.scaling.factor", 8f),
                    floating(meta, "llama.rope.scaling.low_freq_factor", 1f),
                    floating(meta, "llama.rope.scaling.high_freq_factor", 4f),
                    (int) floating(meta, "llama.rope.scaling.original_context_length", 8192f));
        }
        Object tied = meta.get("jsteer.tied_embeddings");
        return new LlamaConfig(dim,
                integer(meta, "llama.feed_forward_length"),
                integer(meta, "llama.block_count"),
                heads,
                meta.containsKey("llama.attention.head_count_kv") ? integer(meta, "llama.attention.head_count_kv") : heads,
                vocab,
                integer(meta, "llama.context_length"),
                floating(meta, "llama.attention.layer_norm_rms_epsilon", 1e-5f),
                floating(meta, "llama.rope.freq_base", 10000f),
                RopeStyle.parse(string(meta, "jsteer.rope.style", "normal")),
                scaling,
                tied instanceof Boolean b && b);
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
