package io.jsteer.tensor.autograd;

/** Indices {@code [start, end)} of one axis, all of the others. */
final class Slice implements Node {

    private final Var x, out;
    private final int axis, start;

    private Slice(Var x, Var out, int axis, int start) {
        this.x = x;
        this.out = out;
        this.axis = axis;
        this.start = start;
    }

    static Var apply(Tape tape, Var x, int axis, int start, int end) {
        int[] shape = x.shape();
        int ax = axis < 0 ? shape.length + axis : axis;
        int full = shape[ax];
        if (start < 0 || end > full || start > end) {
            throw new IndexOutOfBoundsException("slice [" + start + ", " + end + ") of axis " + ax + " of " + x);
        }
        int outer = outer(shape, ax), inner = inner(shape, ax), len = end - start;
        shape[ax] = len;
        Storage y = tape.precision().allocate(Var.sizeOf(shape));
        for (int o = 0; o < outer; o++) {
            y.axpy(o * len * inner, 1, x.data(), (o * full + start) * inner, len * inner);
        }
        Var out = tape.result(shape, y, x);
        if (out.requiresGrad()) {
            tape.record(new Slice(x, out, ax, start));
        }
        return out;
    }

    /** Product of the dimensions before {@code axis}. */
    static int outer(int[] shape, int axis) {
        int n = 1;
        for (int d = 0; d < axis; d++) {
            n *= shape[d];
        }
        return n;
    }

    /** Product of the dimensions after {@code axis}. */
    static int inner(int[] shape, int axis) {
        int n = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            n *= shape[d];
        }
        return n;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int[] xs = x.shape();
        int full = xs[axis], len = out.dim(axis), outer = outer(xs, axis), inner = inner(xs, axis);
        Storage gx = x.gradForAccumulation();
        for (int o = 0; o < outer; o++) {
            gx.axpy((o * full + start) * inner, 1, out.grad(), o * len * inner, len * inner);
        }
    }
}
