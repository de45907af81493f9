package io.jsteer.bench;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.tensor.FloatTensor;

/**
 * Bytes of weights one decoded token reads: every projection matrix of every block, the
 * classifier, and one row of the token embedding (norm weights, a few KB, are left out). The
 * KV cache and activations are not weights and are not counted, so at long contexts decode
 * moves somewhat more than this. {@code bytes × tok/s ÷ bandwidth} is decode's share of the
 * memory-bandwidth roofline.
 */
public final class WeightTraffic {

    private WeightTraffic() {}

    public static long bytesPerToken(LlamaConfig c, LlamaWeights w) {
        long bytes = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            for (FloatTensor t : new FloatTensor[] {w.wq()[l], w.wk()[l], w.wv()[l], w.wo()[l], w.w1()[l], w.w2()[l], w.w3()[l]}) {
                bytes += bytes(t);
            }
        }
        bytes += bytes(w.classifier());
        // one embedding row: the row's share of the embedding's bytes
        bytes += bytes(w.tokenEmbedding()) / c.vocabSize();
        return bytes;
    }

    static long bytes(FloatTensor t) {
        return t.dtype().bytesFor(t.size());
    }

    /** Decode's share of the roofline: bytes per token × tokens per second ÷ bytes per second. */
    public static double rooflineShare(long bytesPerToken, double tokensPerSecond, double bandwidth) {
        return bytesPerToken * tokensPerSecond / bandwidth;
    }
}
