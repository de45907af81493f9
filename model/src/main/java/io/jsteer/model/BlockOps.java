package io.jsteer.model;

import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraTarget;

/**
 * The steps a transformer block is made of, over whatever a path computes with: rows of floats
 * in preallocated buffers on the CPU inference path, {@code Var}s on the trainable path's tape.
 * {@link LlamaBlock} strings them together once for every path and family, so a path supplies
 * only how to do each step, never the order. Values are {@code [T, width]} row batches.
 *
 * @param <A> the path's activation type
 */
public interface BlockOps<A> {

    /** {@code x} after what listens or intervenes at this site of block {@code layer}. */
    A site(SiteKind kind, int layer, A x);

    /** RMSNorm of every row with the given weight ([dim]). */
    A rmsNorm(A x, float[] weight);

    /** {@code x Wᵀ} with block {@code layer}'s frozen matrix for {@code target}, plus its bias (if any) and LoRA path. */
    A project(int layer, LoraTarget target, A x);

    /** RMSNorm of each of the {@code heads} heads of every row, one weight ([headSize]) shared by all heads. */
    A headNorm(A x, float[] weight, int heads);

    /** Rotary embedding of {@code heads} heads per row, row t at the path's position of t. */
    A rope(A x, int heads);

    /** Causal grouped-query attention of block {@code layer} (the path keeps keys and values as it must). */
    A attention(int layer, A q, A k, A v);

    /** {@code silu(gate) ⊙ up}. */
    A swiglu(A gate, A up);

    /** The residual add {@code x + y}. */
    A add(A x, A y);
}
