package io.jsteer.model;

import static io.jsteer.model.intervene.SiteKind.ATTN_HEADS;
import static io.jsteer.model.intervene.SiteKind.ATTN_OUT;
import static io.jsteer.model.intervene.SiteKind.MLP_OUT;
import static io.jsteer.model.intervene.SiteKind.RESID_POST;
import static io.jsteer.model.intervene.SiteKind.RESID_PRE;
import static io.jsteer.model.lora.LoraTarget.DOWN;
import static io.jsteer.model.lora.LoraTarget.GATE;
import static io.jsteer.model.lora.LoraTarget.K;
import static io.jsteer.model.lora.LoraTarget.O;
import static io.jsteer.model.lora.LoraTarget.Q;
import static io.jsteer.model.lora.LoraTarget.UP;
import static io.jsteer.model.lora.LoraTarget.V;

/**
 * The transformer block, written once for every family and every path (CPU decode and prefill,
 * the trainable tape, and the model description the GPU plan checks against). Pre-norm: RMSNorm,
 * grouped-query attention with RoPE, residual add, RMSNorm, SwiGLU feed-forward, residual add.
 * The family switches: q/k/v biases (Qwen2, inside {@link BlockOps#project}), a per-head
 * RMSNorm of queries and keys before RoPE (Qwen3), a sliding attention window (Mistral v0.1,
 * inside {@link BlockOps#attention}). Steering sites are named where they happen.
 */
public final class LlamaBlock {

    private LlamaBlock() {}

    /** Block {@code l}: resid_pre {@code x[T, dim]} → resid_post {@code [T, dim]}. */
    public static <A> A forward(LlamaConfig c, LlamaWeights w, int l, A x, BlockOps<A> o) {
        x = o.site(RESID_PRE, l, x);

        // attention: q[T, qDim], k[T, kvDim], v[T, kvDim] from the normed stream
        A h = o.rmsNorm(x, w.attnNorm()[l]);
        A q = o.project(l, Q, h);
        A k = o.project(l, K, h);
        A v = o.project(l, V, h);
        if (c.family().qkNorm()) {
            q = o.headNorm(q, w.qNorm()[l], c.nHeads());
            k = o.headNorm(k, w.kNorm()[l], c.nKvHeads());
        }
        q = o.rope(q, c.nHeads());
        k = o.rope(k, c.nKvHeads());
        A heads = o.site(ATTN_HEADS, l, o.attention(l, q, k, v)); // [T, qDim]
        x = o.add(x, o.site(ATTN_OUT, l, o.project(l, O, heads)));

        // feed-forward: w2 · (silu(w1·h) ⊙ (w3·h)), gate and up [T, hidden]
        h = o.rmsNorm(x, w.ffnNorm()[l]);
        A act = o.swiglu(o.project(l, GATE, h), o.project(l, UP, h));
        x = o.add(x, o.site(MLP_OUT, l, o.project(l, DOWN, act)));

        return o.site(RESID_POST, l, x);
    }
}
