package io.jsteer.model;

import io.jsteer.tensor.FloatTensor;

/**
 * The weights of a Llama model as views into the loaded file (nothing is copied, except the
 * small RMSNorm vectors, which the hot loop wants as plain arrays). Matrices are {@code [out][in]}.
 *
 * @param tokenEmbedding [vocab][dim]
 * @param attnNorm       [layer][dim]
 * @param wq             per layer [nHeads*headSize][dim]
 * @param wk             per layer [kvDim][dim]
 * @param wv             per layer [kvDim][dim]
 * @param wo             per layer [dim][nHeads*headSize]
 * @param ffnNorm        [layer][dim]
 * @param w1             per layer [hidden][dim] (gate)
 * @param w2             per layer [dim][hidden] (down)
 * @param w3             per layer [hidden][dim] (up)
 * @param outputNorm     [dim]
 * @param classifier     [vocab][dim]; the token embedding itself when tied
 */
public record LlamaWeights(FloatTensor tokenEmbedding, float[][] attnNorm,
                           FloatTensor[] wq, FloatTensor[] wk, FloatTensor[] wv, FloatTensor[] wo,
                           float[][] ffnNorm, FloatTensor[] w1, FloatTensor[] w2, FloatTensor[] w3,
                           float[] outputNorm, FloatTensor classifier) {

    /** Looks every tensor up by its GGUF name and checks its shape against {@code c}. */
    public static LlamaWeights load(LlamaConfig c, TensorLookup t) {
        int L = c.nLayers();
        long dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim(), vocab = c.vocabSize();
        float[][] attnNorm = new float[L][];
        float[][] ffnNorm = new float[L][];
        FloatTensor[] wq = new FloatTensor[L], wk = new FloatTensor[L], wv = new FloatTensor[L], wo = new FloatTensor[L];
        FloatTensor[] w1 = new FloatTensor[L], w2 = new FloatTensor[L], w3 = new FloatTensor[L];
        for (int l = 0; l < L; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = t.get(p + "attn_norm.weight", dim).toFloatArray();
            wq[l] = t.get(p + "attn_q.weight", dim, dim);
            wk[l] = t.get(p + "attn_k.weight", kv, dim);
            wv[l] = t.get(p + "attn_v.weight", kv, dim);
            wo[l] = t.get(p + "attn_output.weight", dim, dim);
            ffnNorm[l] = t.get(p + "ffn_norm.weight", dim).toFloatArray();
            w1[l] = t.get(p + "ffn_gate.weight", hid, dim);
            w2[l] = t.get(p + "ffn_down.weight", dim, hid);
            w3[l] = t.get(p + "ffn_up.weight", hid, dim);
        }
        FloatTensor embedding = t.get("token_embd.weight", vocab, dim);
        FloatTensor classifier = t.has("output.weight") ? t.get("output.weight", vocab, dim) : embedding;
        return new LlamaWeights(embedding, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3,
                t.get("output_norm.weight", dim).toFloatArray(), classifier);
    }
}
