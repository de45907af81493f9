package io.jsteer.weights;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import java.util.Arrays;

/**
 * One named tensor of a model: its element type, its shape row-major with the outermost
 * dimension first (a weight used as {@code y = W·x} is {@code [out, in]}), and a no-copy view of
 * its values.
 */
public record TensorData(String name, DType dtype, long[] shape, FloatTensor data) {

    public TensorData {
        shape = shape.clone();
        if (data.dtype() != dtype) {
            throw new IllegalArgumentException(name + ": dtype " + dtype + " but data is " + data.dtype());
        }
        if (elementCount(shape) != data.size()) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " has "
                    + elementCount(shape) + " elements but data has " + data.size());
        }
    }

    /** A copy of the shape (the record must stay immutable). */
    @Override
    public long[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public long elementCount() { return data.size(); }

    /** Rows of the tensor seen as a matrix {@code [product of outer dims, innermost dim]}. */
    public long rows() { return shape.length == 0 ? 1 : data.size() / shape[shape.length - 1]; }

    /** The innermost (contiguous) dimension: the row length. */
    public long cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    public static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && data == t.data;
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() {
        return name + " " + dtype.label() + Arrays.toString(shape);
    }
}
