package io.jsteer.tensor.autograd;

import io.jsteer.tensor.Kernels;

/**
 * The flat row-major numbers behind a {@link Var} (its values or its gradient), as float32 or
 * float64. Ops read and write single elements through {@link #get}/{@link #set}/{@link #add}
 * and whole row segments through {@link #dot}/{@link #axpy}; the row methods are where the
 * time goes, so the float32 kind runs them on the Vector API kernels while the float64 kind
 * keeps plain double loops for gradient checking. Both operands of a row method must have
 * the same precision.
 */
public abstract sealed class Storage permits Storage.F32, Storage.F64 {

    public abstract Precision precision();

    public abstract int size();

    public abstract double get(int i);

    public abstract void set(int i, double v);

    /** this[i] += v. */
    public abstract void add(int i, double v);

    /** sum_k this[off + k] * b[bOff + k] for k in [0, n). */
    public abstract double dot(int off, Storage b, int bOff, int n);

    /** sum_k this[off + k] * x[xOff + k]: a row against a dequantized weight row. */
    public abstract double dot(int off, float[] x, int xOff, int n);

    /** this[off + k] += alpha * x[xOff + k] for k in [0, n). */
    public abstract void axpy(int off, double alpha, Storage x, int xOff, int n);

    /** this[off + k] += alpha * x[xOff + k] with x a dequantized weight row. */
    public abstract void axpy(int off, double alpha, float[] x, int xOff, int n);

    /** A copy with the same precision. */
    public abstract Storage copy();

    public abstract void fill(double v);

    /** All values as doubles (a copy). */
    public double[] toDoubleArray() {
        double[] out = new double[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = get(i);
        }
        return out;
    }

    /** All values as floats (a copy). */
    public float[] toFloatArray() {
        float[] out = new float[size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) get(i);
        }
        return out;
    }

    /** Float32 values, stored as a float[] so the hot loops hit the vector kernels. */
    public static final class F32 extends Storage {
        private final float[] a;

        F32(float[] a) { this.a = a; }

        /** The backing array itself (not a copy): for kernels that work on float[] directly. */
        public float[] array() { return a; }

        @Override public Precision precision() { return Precision.F32; }
        @Override public int size() { return a.length; }
        @Override public double get(int i) { return a[i]; }
        @Override public void set(int i, double v) { a[i] = (float) v; }
        @Override public void add(int i, double v) { a[i] += (float) v; }

        @Override
        public double dot(int off, Storage b, int bOff, int n) {
            return Kernels.dot(a, off, floats(b), bOff, n);
        }

        @Override
        public double dot(int off, float[] x, int xOff, int n) {
            return Kernels.dot(a, off, x, xOff, n);
        }

        @Override
        public void axpy(int off, double alpha, Storage x, int xOff, int n) {
            Kernels.axpy((float) alpha, floats(x), xOff, a, off, n);
        }

        @Override
        public void axpy(int off, double alpha, float[] x, int xOff, int n) {
            Kernels.axpy((float) alpha, x, xOff, a, off, n);
        }

        @Override public Storage copy() { return new F32(a.clone()); }
        @Override public void fill(double v) { java.util.Arrays.fill(a, (float) v); }

        private static float[] floats(Storage s) {
            if (s instanceof F32 f) {
                return f.a;
            }
            throw new IllegalArgumentException("mixed precisions: F32 with " + s.precision());
        }
    }

    /** Float64 values: slow, exact enough for central finite differences. */
    public static final class F64 extends Storage {
        private final double[] a;

        F64(double[] a) { this.a = a; }

        /** The backing array itself (not a copy). */
        public double[] array() { return a; }

        @Override public Precision precision() { return Precision.F64; }
        @Override public int size() { return a.length; }
        @Override public double get(int i) { return a[i]; }
        @Override public void set(int i, double v) { a[i] = v; }
        @Override public void add(int i, double v) { a[i] += v; }

        @Override
        public double dot(int off, Storage b, int bOff, int n) {
            double[] b64 = doubles(b);
            double sum = 0;
            for (int k = 0; k < n; k++) {
                sum += a[off + k] * b64[bOff + k];
            }
            return sum;
        }

        @Override
        public double dot(int off, float[] x, int xOff, int n) {
            double sum = 0;
            for (int k = 0; k < n; k++) {
                sum += a[off + k] * x[xOff + k];
            }
            return sum;
        }

        @Override
        public void axpy(int off, double alpha, Storage x, int xOff, int n) {
            double[] x64 = doubles(x);
            for (int k = 0; k < n; k++) {
                a[off + k] += alpha * x64[xOff + k];
            }
        }

        @Override
        public void axpy(int off, double alpha, float[] x, int xOff, int n) {
            for (int k = 0; k < n; k++) {
                a[off + k] += alpha * x[xOff + k];
            }
        }

        @Override public Storage copy() { return new F64(a.clone()); }
        @Override public void fill(double v) { java.util.Arrays.fill(a, v); }

        private static double[] doubles(Storage s) {
            if (s instanceof F64 d) {
                return d.a;
            }
            throw new IllegalArgumentException("mixed precisions: F64 with " + s.precision());
        }
    }
}
