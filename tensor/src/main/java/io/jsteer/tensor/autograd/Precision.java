package io.jsteer.tensor.autograd;

/**
 * Number type of a tape's values and gradients. Training runs in {@link #F32}; {@link #F64}
 * exists so that the very same op code can be checked against finite differences, which are
 * far too noisy in float32.
 */
public enum Precision {
    F32,
    F64;

    /** A zeroed storage of {@code n} values. */
    public Storage allocate(int n) {
        return switch (this) {
            case F32 -> new Storage.F32(new float[n]);
            case F64 -> new Storage.F64(new double[n]);
        };
    }

    /** A storage holding {@code values}, rounded to this precision. */
    public Storage of(double[] values) {
        Storage s = allocate(values.length);
        for (int i = 0; i < values.length; i++) {
            s.set(i, values[i]);
        }
        return s;
    }

    /** A storage holding {@code values} (copied). */
    public Storage of(float[] values) {
        Storage s = allocate(values.length);
        for (int i = 0; i < values.length; i++) {
            s.set(i, values[i]);
        }
        return s;
    }
}
