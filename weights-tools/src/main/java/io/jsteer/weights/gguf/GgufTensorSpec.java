package io.jsteer.weights.gguf;

import io.jsteer.tensor.DType;
import io.jsteer.weights.TensorData;

/**
 * A tensor to write: name, stored dtype, shape outermost first ({@code [out, in]} for weights;
 * the writer reverses it into GGUF's order) and the content, produced on demand.
 */
public record GgufTensorSpec(String name, DType dtype, long[] shape, TensorContent content) {

    public GgufTensorSpec {
        shape = shape.clone();
        if (shape.length < 1 || shape.length > GgufReader.MAX_DIMS) {
            throw new IllegalArgumentException(name + ": GGUF tensors have 1.." + GgufReader.MAX_DIMS + " dims");
        }
        for (long d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException(name + ": dims must be positive");
            }
        }
        if (shape[shape.length - 1] % dtype.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + shape[shape.length - 1]
                    + " is not a multiple of the " + dtype + " block size");
        }
    }

    @Override
    public long[] shape() { return shape.clone(); }

    public long elementCount() { return TensorData.elementCount(shape); }

    public long byteSize() { return dtype.bytesFor(elementCount()); }
}
