package io.jsteer.tensor.autograd;

import java.util.Arrays;

/**
 * A dense row-major tensor in a computation graph: values, shape and (when it takes part in
 * differentiation) a gradient of the same shape. Three kinds exist:
 * <ul>
 *   <li>parameters ({@link #param}): leaves with {@code requiresGrad}; they outlive tapes,
 *       their gradients accumulate over backward passes until {@link #zeroGrad()}, and
 *       optimisers update their values in place;</li>
 *   <li>constants ({@link #constant}): leaves that never get a gradient;</li>
 *   <li>op results: made by {@link Tape}'s ops; they need a gradient when any input does.</li>
 * </ul>
 * Rank-0 shape {@code []} is a scalar. Ops that work "along the last axis" view a tensor as
 * {@code [rows(), cols()]} with {@code cols()} the last dimension.
 */
public final class Var {

    private final int[] shape;
    private final Storage data;
    private final boolean requiresGrad;
    private Storage grad;
    private String name;

    Var(int[] shape, Storage data, boolean requiresGrad) {
        if (sizeOf(shape) != data.size()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + sizeOf(shape)
                    + " values, got " + data.size());
        }
        this.shape = shape.clone();
        this.data = data;
        this.requiresGrad = requiresGrad;
    }

    /** A trainable leaf holding a copy of {@code values}. */
    public static Var param(Precision p, float[] values, int... shape) {
        return new Var(shape, p.of(values), true);
    }

    /** A trainable leaf holding a copy of {@code values}. */
    public static Var param(Precision p, double[] values, int... shape) {
        return new Var(shape, p.of(values), true);
    }

    /** A trainable leaf of zeros. */
    public static Var zerosParam(Precision p, int... shape) {
        return new Var(shape, p.allocate(sizeOf(shape)), true);
    }

    /** A leaf that gets no gradient, holding a copy of {@code values}. */
    public static Var constant(Precision p, float[] values, int... shape) {
        return new Var(shape, p.of(values), false);
    }

    /** A leaf that gets no gradient, holding a copy of {@code values}. */
    public static Var constant(Precision p, double[] values, int... shape) {
        return new Var(shape, p.of(values), false);
    }

    /** A scalar constant. */
    public static Var scalar(Precision p, double value) {
        return constant(p, new double[] {value});
    }

    static int sizeOf(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        return Math.toIntExact(n);
    }

    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    public int dim(int axis) { return shape[axis < 0 ? shape.length + axis : axis]; }

    public int size() { return data.size(); }

    /** Length of the last axis (1 for a scalar). */
    public int cols() { return shape.length == 0 ? 1 : shape[shape.length - 1]; }

    /** Number of rows when viewed as {@code [rows, cols]}. */
    public int rows() { int c = cols(); return c == 0 ? 0 : size() / c; }

    public Precision precision() { return data.precision(); }

    /** The values; writable, for optimisers and initialisation (never between an op and backward). */
    public Storage data() { return data; }

    /** The gradient, or {@code null} while nothing has flowed into it. */
    public Storage grad() { return grad; }

    public boolean requiresGrad() { return requiresGrad; }

    /** The single value of a scalar (or any one-element tensor). */
    public double item() {
        if (size() != 1) {
            throw new IllegalStateException("item() of a tensor with " + size() + " values");
        }
        return data.get(0);
    }

    public double get(int index) { return data.get(index); }

    public double[] toDoubleArray() { return data.toDoubleArray(); }

    public float[] toFloatArray() { return data.toFloatArray(); }

    /** The gradient as doubles; zeros when none has flowed in yet. */
    public double[] gradToDoubleArray() {
        return grad == null ? new double[size()] : grad.toDoubleArray();
    }

    /** Drops the accumulated gradient (the next backward starts from zero). */
    public void zeroGrad() {
        if (grad != null) {
            grad.fill(0);
        }
    }

    /** The gradient storage, allocated (zeroed) on first use: where backward accumulates. */
    Storage gradForAccumulation() {
        if (grad == null) {
            grad = data.precision().allocate(data.size());
        }
        return grad;
    }

    /** Optional label for debugging. */
    public Var named(String name) {
        this.name = name;
        return this;
    }

    boolean sameShape(Var other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public String toString() {
        return (name == null ? "Var" : name) + Arrays.toString(shape) + " " + precision()
                + (requiresGrad ? " (grad)" : "");
    }
}
