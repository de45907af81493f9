package io.jsteer.weights.safetensors;

import io.jsteer.weights.TensorData;
import java.util.Arrays;

/** A float32 tensor to write: name, shape outermost first, values row-major. */
public record SafetensorsTensor(String name, long[] shape, float[] values) {

    public SafetensorsTensor {
        shape = shape.clone();
        if (TensorData.elementCount(shape) != values.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " does not hold "
                    + values.length + " values");
        }
    }

    @Override
    public long[] shape() { return shape.clone(); }
}
