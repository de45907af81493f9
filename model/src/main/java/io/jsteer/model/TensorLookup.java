package io.jsteer.model;

import io.jsteer.tensor.FloatTensor;

/** Where {@link LlamaWeights} finds its tensors, by GGUF llama name (e.g. {@code blk.3.attn_q.weight}). */
public interface TensorLookup {

    boolean has(String name);

    /** Every tensor name the source holds, so that a loader can refuse the ones it does not know. */
    java.util.Set<String> names();

    /**
     * The tensor called {@code name}, checked to have exactly {@code shape} (outermost first,
     * {@code [out, in]} for matrices).
     *
     * @throws IllegalArgumentException naming the tensor when it is missing or shaped otherwise
     */
    FloatTensor get(String name, long... shape);
}
