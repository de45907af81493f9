package io.jsteer.tensor.autograd;

import io.jsteer.tensor.FloatTensor;

/**
 * {@code y[T,out] = x[T,in] · Wᵀ} with W a frozen stored weight {@code [out,in]} of any
 * dtype. W is a constant: only x gets a gradient, {@code dx = dy · W}. W is read one row at a
 * time into a small scratch row (never dequantized as a whole) and each row is reused for all
 * T inputs while it is in cache.
 */
final class FrozenMatMul implements Node {

    private static final int MIN_WORK_PER_TASK = 1 << 15;

    private final Tape tape;
    private final Var x, out;
    private final FloatTensor w;
    private final int t, in, outFeatures;

    private FrozenMatMul(Tape tape, Var x, Var out, FloatTensor w, int t, int in, int outFeatures) {
        this.tape = tape;
        this.x = x;
        this.out = out;
        this.w = w;
        this.t = t;
        this.in = in;
        this.outFeatures = outFeatures;
    }

    static Var apply(Tape tape, Var x, FloatTensor w, int outFeatures) {
        int in = x.cols();
        int t = x.rows();
        if ((long) outFeatures * in > w.size()) {
            throw new IllegalArgumentException("weight " + w + " is smaller than [" + outFeatures + "][" + in + "]");
        }
        Storage xs = x.data();
        Storage y = tape.precision().allocate(t * outFeatures);
        // output rows in balanced chunks: a thread that is slow to start leaves its rows to the others
        tape.parallelForBalanced(outFeatures, Math.max(1, MIN_WORK_PER_TASK / Math.max(1, t * in)), (start, end) -> {
            float[] row = new float[in];
            for (int r = start; r < end; r++) {
                w.copyTo((long) r * in, row, 0, in);
                for (int i = 0; i < t; i++) {
                    y.set(i * outFeatures + r, xs.dot(i * in, row, 0, in));
                }
            }
        });
        int[] shape = x.shape();
        shape[shape.length - 1] = outFeatures;
        Var out = tape.result(shape, y, x);
        if (out.requiresGrad()) {
            tape.record(new FrozenMatMul(tape, x, out, w, t, in, outFeatures));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Storage dy = out.grad();
        Storage dx = x.gradForAccumulation();
        // dx[T, c0..c1) = Σ_r dy[T, r] · W[r, c0..c1): split over column slices of the input, so that
        // W is read (dequantized) once in all, whatever the thread count; each dx element sums over r
        // in the same order however the slices fall, so the result does not depend on the threads
        int unit = columnUnit(in);
        tape.parallelForBalanced(in / unit, Math.max(1, MIN_WORK_PER_TASK / Math.max(1, t * outFeatures * unit)), (u0, u1) -> {
            int c0 = u0 * unit, len = (u1 - u0) * unit;
            float[] slice = new float[len];
            for (int r = 0; r < outFeatures; r++) {
                w.copyTo((long) r * in + c0, slice, 0, len);
                for (int i = 0; i < t; i++) {
                    double g = dy.get(i * outFeatures + r);
                    if (g != 0) {
                        dx.axpy(i * in + c0, g, slice, 0, len);
                    }
                }
            }
        });
    }

    /**
     * Width of the column slices backward splits the input into: whole 256-value super-blocks (or
     * 32-value blocks) so that a quantized row can be read from any slice start; one slice when
     * neither divides the width.
     */
    static int columnUnit(int in) {
        return in % 256 == 0 ? 256 : in % 32 == 0 ? 32 : in;
    }
}
