package io.jsteer.weights;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Completes llama metadata with the values every format must provide, so that the model engine
 * never has to know which format a model came from.
 */
public final class LlamaMetadata {

    private LlamaMetadata() {}

    public static final float DEFAULT_ROPE_FREQ_BASE = 10000f;

    /**
     * Adds missing defaults for a llama model: rope freq base 10000, rope dimension count
     * (head size), vocab size from the embedding, tied embeddings when there is no
     * {@code output.weight}, and the "normal" rope style. Keys already present win. Models of
     * other architectures are returned unchanged.
     */
    public static Map<String, Object> withDefaults(Map<String, Object> metadata, Map<String, TensorData> tensors) {
        if (!"llama".equals(metadata.get(LlamaKeys.ARCHITECTURE))) {
            return metadata;
        }
        Map<String, Object> out = new LinkedHashMap<>(metadata);
        out.putIfAbsent(LlamaKeys.ROPE_FREQ_BASE, DEFAULT_ROPE_FREQ_BASE);
        if (out.get(LlamaKeys.EMBEDDING_LENGTH) instanceof Long dim && out.get(LlamaKeys.HEAD_COUNT) instanceof Long heads
                && heads > 0) {
            out.putIfAbsent(LlamaKeys.ROPE_DIMENSION_COUNT, dim / heads);
        }
        TensorData embd = tensors.get(LlamaKeys.TOKEN_EMBD);
        if (embd != null && embd.rank() == 2) {
            out.putIfAbsent(LlamaKeys.VOCAB_SIZE, embd.shape()[0]);
        }
        out.putIfAbsent(LlamaKeys.TIED_EMBEDDINGS, !tensors.containsKey(LlamaKeys.OUTPUT));
        out.putIfAbsent(LlamaKeys.ROPE_STYLE, LlamaKeys.ROPE_STYLE_NORMAL);
        return out;
    }
}
