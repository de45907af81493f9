package io.jsteer.weights.gguf;

import io.jsteer.tensor.DType;

/**
 * A tensor entry of a GGUF header. {@code ggmlDims} is in GGUF's order, innermost first;
 * {@code offset} is relative to the start of the data section.
 */
public record GgufTensorInfo(String name, long[] ggmlDims, DType dtype, long offset, long byteSize) {

    public GgufTensorInfo {
        ggmlDims = ggmlDims.clone();
    }

    @Override
    public long[] ggmlDims() { return ggmlDims.clone(); }

    /** The shape outermost first, as the unified view wants it. */
    public long[] shape() {
        long[] s = new long[ggmlDims.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = ggmlDims[ggmlDims.length - 1 - i];
        }
        return s;
    }
}
