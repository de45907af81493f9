package io.jsteer.model;

import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The weights of a model as views into the loaded file (nothing is copied, except the small
 * vectors — norms, biases — which the hot loop wants as plain arrays). Matrices are
 * {@code [out][in]}. The family's optional tensors are null when the family has none.
 *
 * @param tokenEmbedding [vocab][dim]
 * @param attnNorm       [layer][dim]
 * @param wq             per layer [qDim][dim] (qDim = nHeads*headSize)
 * @param wk             per layer [kvDim][dim]
 * @param wv             per layer [kvDim][dim]
 * @param wo             per layer [dim][qDim]
 * @param ffnNorm        [layer][dim]
 * @param w1             per layer [hidden][dim] (gate)
 * @param w2             per layer [dim][hidden] (down)
 * @param w3             per layer [hidden][dim] (up)
 * @param outputNorm     [dim]
 * @param classifier     [vocab][dim]; the token embedding itself when tied
 * @param qBias          [layer][qDim] (Qwen2), or null
 * @param kBias          [layer][kvDim] (Qwen2), or null
 * @param vBias          [layer][kvDim] (Qwen2), or null
 * @param qNorm          [layer][headSize], RMSNorm weight of every query head (Qwen3), or null
 * @param kNorm          [layer][headSize], the same for key heads (Qwen3), or null
 * @param ropeFactors    [headSize/2] divisors of the RoPE frequencies (llama.cpp's
 *                       {@code rope_freqs.weight}, how converted Llama 3.1+ files carry their scaling), or null
 */
public record LlamaWeights(FloatTensor tokenEmbedding, float[][] attnNorm,
                           FloatTensor[] wq, FloatTensor[] wk, FloatTensor[] wv, FloatTensor[] wo,
                           float[][] ffnNorm, FloatTensor[] w1, FloatTensor[] w2, FloatTensor[] w3,
                           float[] outputNorm, FloatTensor classifier,
                           float[][] qBias, float[][] kBias, float[][] vBias, float[][] qNorm, float[][] kNorm,
                           float[] ropeFactors) {

    /** Plain Llama weights: no biases, no per-head norms, no RoPE factors. */
    public LlamaWeights(FloatTensor tokenEmbedding, float[][] attnNorm,
                        FloatTensor[] wq, FloatTensor[] wk, FloatTensor[] wv, FloatTensor[] wo,
                        float[][] ffnNorm, FloatTensor[] w1, FloatTensor[] w2, FloatTensor[] w3,
                        float[] outputNorm, FloatTensor classifier) {
        this(tokenEmbedding, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, outputNorm, classifier,
                null, null, null, null, null, null);
    }

    /** The frozen matrix of a projection in block {@code l}. */
    public FloatTensor projection(int l, LoraTarget target) {
        return switch (target) {
            case Q -> wq[l];
            case K -> wk[l];
            case V -> wv[l];
            case O -> wo[l];
            case GATE -> w1[l];
            case UP -> w3[l];
            case DOWN -> w2[l];
        };
    }

    /** The bias a projection adds in block {@code l}, or null (only Qwen2's q, k and v have one). */
    public float[] bias(int l, LoraTarget target) {
        float[][] b = switch (target) {
            case Q -> qBias;
            case K -> kBias;
            case V -> vBias;
            default -> null;
        };
        return b == null ? null : b[l];
    }

    /** These weights with other projection matrices (a merged LoRA adapter), everything else shared. */
    public LlamaWeights withProjections(FloatTensor[] wq, FloatTensor[] wk, FloatTensor[] wv, FloatTensor[] wo,
                                        FloatTensor[] w1, FloatTensor[] w2, FloatTensor[] w3) {
        return new LlamaWeights(tokenEmbedding, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, outputNorm, classifier,
                qBias, kBias, vBias, qNorm, kNorm, ropeFactors);
    }

    /**
     * Looks every tensor of {@code c}'s family up by its GGUF name and checks its shape. A tensor
     * the family does not use is an error that names it: a file must never run with part of its
     * weights silently ignored (a Qwen2 file read as Llama would drop its biases).
     */
    public static LlamaWeights load(LlamaConfig c, TensorLookup lookup) {
        Set<String> used = new HashSet<>();
        TensorLookup t = new TensorLookup() { // records what was read, for the check at the end
            @Override
            public boolean has(String name) { return lookup.has(name); }

            @Override
            public Set<String> names() { return lookup.names(); }

            @Override
            public FloatTensor get(String name, long... shape) {
                used.add(name);
                return lookup.get(name, shape);
            }
        };
        int L = c.nLayers();
        ModelFamily f = c.family();
        long dim = c.dim(), qd = c.qDim(), kv = c.kvDim(), hid = c.hiddenDim(), vocab = c.vocabSize(), hs = c.headSize();
        float[][] attnNorm = new float[L][];
        float[][] ffnNorm = new float[L][];
        FloatTensor[] wq = new FloatTensor[L], wk = new FloatTensor[L], wv = new FloatTensor[L], wo = new FloatTensor[L];
        FloatTensor[] w1 = new FloatTensor[L], w2 = new FloatTensor[L], w3 = new FloatTensor[L];
        float[][] qBias = f.qkvBias() ? new float[L][] : null, kBias = f.qkvBias() ? new float[L][] : null,
                vBias = f.qkvBias() ? new float[L][] : null;
        float[][] qNorm = f.qkNorm() ? new float[L][] : null, kNorm = f.qkNorm() ? new float[L][] : null;
        for (int l = 0; l < L; l++) {
            String p = "blk." + l + ".";
            attnNorm[l] = t.get(p + "attn_norm.weight", dim).toFloatArray();
            wq[l] = t.get(p + "attn_q.weight", qd, dim);
            wk[l] = t.get(p + "attn_k.weight", kv, dim);
            wv[l] = t.get(p + "attn_v.weight", kv, dim);
            wo[l] = t.get(p + "attn_output.weight", dim, qd);
            if (f.qkvBias()) {
                qBias[l] = t.get(p + "attn_q.bias", qd).toFloatArray();
                kBias[l] = t.get(p + "attn_k.bias", kv).toFloatArray();
                vBias[l] = t.get(p + "attn_v.bias", kv).toFloatArray();
            }
            if (f.qkNorm()) {
                qNorm[l] = t.get(p + "attn_q_norm.weight", hs).toFloatArray();
                kNorm[l] = t.get(p + "attn_k_norm.weight", hs).toFloatArray();
            }
            ffnNorm[l] = t.get(p + "ffn_norm.weight", dim).toFloatArray();
            w1[l] = t.get(p + "ffn_gate.weight", hid, dim);
            w2[l] = t.get(p + "ffn_down.weight", dim, hid);
            w3[l] = t.get(p + "ffn_up.weight", hid, dim);
        }
        FloatTensor embedding = t.get("token_embd.weight", vocab, dim);
        FloatTensor classifier = t.has("output.weight") ? t.get("output.weight", vocab, dim) : embedding;
        float[] outputNorm = t.get("output_norm.weight", dim).toFloatArray();
        float[] ropeFactors = t.has("rope_freqs.weight") ? t.get("rope_freqs.weight", hs / 2).toFloatArray() : null;
        refuseUnknown(c, lookup.names(), used);
        return new LlamaWeights(embedding, attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, outputNorm, classifier,
                qBias, kBias, vBias, qNorm, kNorm, ropeFactors);
    }

    private static void refuseUnknown(LlamaConfig c, Set<String> all, Set<String> used) {
        List<String> unknown = new ArrayList<>(new TreeSet<>(all));
        unknown.removeAll(used);
        if (!unknown.isEmpty()) {
            List<String> shown = unknown.subList(0, Math.min(8, unknown.size()));
            throw new IllegalArgumentException(unknown.size() + " tensor(s) that a " + c.family() + " model does not have: "
                    + String.join(", ", shown) + (unknown.size() > shown.size() ? ", ..." : "")
                    + " (is general.architecture right? jsteer runs " + ModelFamily.supported() + ")");
        }
    }
}
