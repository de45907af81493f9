package io.jsteer.tensor.autograd;

import java.util.Arrays;

/**
 * Joins tensors along one axis; all other dimensions must agree. Each input occupies a
 * contiguous run of {@code len·inner} values inside every one of the {@code outer} blocks.
 */
final class Concat implements Node {

    private final Var[] parts;
    private final Var out;
    private final int axis;

    private Concat(Var[] parts, Var out, int axis) {
        this.parts = parts;
        this.out = out;
        this.axis = axis;
    }

    static Var apply(Tape tape, int axis, Var... parts) {
        if (parts.length == 0) {
            throw new IllegalArgumentException("concat of nothing");
        }
        int[] shape = parts[0].shape();
        int ax = axis < 0 ? shape.length + axis : axis;
        int total = 0;
        for (Var p : parts) {
            int[] s = p.shape();
            if (s.length != shape.length) {
                throw new IllegalArgumentException("concat of different ranks: " + Arrays.toString(parts));
            }
            for (int d = 0; d < s.length; d++) {
                if (d != ax && s[d] != shape[d]) {
                    throw new IllegalArgumentException("concat along " + ax + " of " + Arrays.toString(parts));
                }
            }
            total += s[ax];
        }
        shape[ax] = total;
        int outer = Slice.outer(shape, ax), inner = Slice.inner(shape, ax);
        Storage y = tape.precision().allocate(Var.sizeOf(shape));
        int start = 0;
        for (Var p : parts) {
            int len = p.dim(ax);
            for (int o = 0; o < outer; o++) {
                y.axpy((o * total + start) * inner, 1, p.data(), o * len * inner, len * inner);
            }
            start += len;
        }
        Var out = tape.result(shape, y, parts);
        if (out.requiresGrad()) {
            tape.record(new Concat(parts.clone(), out, ax));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int[] shape = out.shape();
        int total = shape[axis], outer = Slice.outer(shape, axis), inner = Slice.inner(shape, axis);
        int start = 0;
        for (Var p : parts) {
            int len = p.dim(axis);
            if (p.requiresGrad()) {
                Storage gp = p.gradForAccumulation();
                for (int o = 0; o < outer; o++) {
                    gp.axpy(o * len * inner, 1, out.grad(), (o * total + start) * inner, len * inner);
                }
            }
            start += len;
        }
    }
}
