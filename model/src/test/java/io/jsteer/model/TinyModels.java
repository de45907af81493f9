package io.jsteer.model;

import io.jsteer.tensor.FloatTensor;
import java.util.SplittableRandom;

/**
 * Small random Llama models built in memory, for tests that need a config stories260K does not
 * have (NeoX RoPE, Llama 3 scaling, a separate classifier) or that must be tiny (finite
 * differences).
 */
public final class TinyModels {

    private TinyModels() {}

    /**
     * dim 16, hidden 24, 2 blocks, 4 query heads over 2 KV heads (head size 4), vocab 23, NeoX
     * RoPE with Llama 3 scaling whose three frequency bands are all in use, untied classifier.
     */
    public static LlamaConfig neoxLlama3Config() {
        return new LlamaConfig(16, 24, 2, 4, 2, 23, 64, 1e-5f, 10000f, RopeStyle.NEOX,
                new RopeScaling(4f, 1f, 4f, 32), false);
    }

    /** The smallest useful shape for finite differences: dim 8, 2 blocks, 2 heads over 1 KV head, vocab 11. */
    public static LlamaConfig tinyConfig() {
        return new LlamaConfig(8, 12, 2, 2, 1, 11, 32, 1e-5f, 10000f, RopeStyle.NORMAL, null, true);
    }

    /** Weights N(0, 0.4²) (norms 1 + N(0, 0.1²)), so that every path through the model matters. */
    public static LlamaWeights randomWeights(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int L = c.nLayers(), dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim(), vocab = c.vocabSize();
        FloatTensor[] wq = new FloatTensor[L], wk = new FloatTensor[L], wv = new FloatTensor[L], wo = new FloatTensor[L];
        FloatTensor[] w1 = new FloatTensor[L], w2 = new FloatTensor[L], w3 = new FloatTensor[L];
        float[][] attnNorm = new float[L][], ffnNorm = new float[L][];
        for (int l = 0; l < L; l++) {
            attnNorm[l] = norm(r, dim);
            ffnNorm[l] = norm(r, dim);
            wq[l] = matrix(r, dim, dim);
            wk[l] = matrix(r, kv, dim);
            wv[l] = matrix(r, kv, dim);
            wo[l] = matrix(r, dim, dim);
            w1[l] = matrix(r, hid, dim);
            w2[l] = matrix(r, dim, hid);
            w3[l] = matrix(r, hid, dim);
        }
        FloatTensor embedding = matrix(r, vocab, dim);
        FloatTensor classifier = c.tiedEmbeddings() ? embedding : matrix(r, vocab, dim);
        return new LlamaWeights(embedding, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, norm(r, dim), classifier);
    }

    /** Random token ids of a config's vocabulary. */
    public static int[] tokens(LlamaConfig c, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = r.nextInt(c.vocabSize());
        }
        return t;
    }

    private static FloatTensor matrix(SplittableRandom r, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 0.4);
        }
        return FloatTensor.of(v);
    }

    private static float[] norm(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1 + r.nextGaussian() * 0.1);
        }
        return v;
    }
}
