package io.jsteer.tensor.autograd;

import java.util.Arrays;

/**
 * The same values under another shape of equal size. The result shares x's value storage
 * (a view: nothing is copied); its gradient is its own and is added to x's in backward.
 * One dimension may be -1, meaning "whatever makes the sizes match".
 */
final class Reshape implements Node {

    private final Var x, out;

    private Reshape(Var x, Var out) {
        this.x = x;
        this.out = out;
    }

    static Var apply(Tape tape, Var x, int... shape) {
        int[] s = shape.clone();
        int known = 1, free = -1;
        for (int d = 0; d < s.length; d++) {
            if (s[d] == -1) {
                if (free >= 0) {
                    throw new IllegalArgumentException("more than one -1 in " + Arrays.toString(shape));
                }
                free = d;
            } else {
                known *= s[d];
            }
        }
        if (free >= 0 && known > 0) {
            s[free] = x.size() / known;
        }
        if (Var.sizeOf(s) != x.size()) {
            throw new IllegalArgumentException("cannot reshape " + x + " to " + Arrays.toString(shape));
        }
        Var out = tape.result(s, x.data(), x);
        if (out.requiresGrad()) {
            tape.record(new Reshape(x, out));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        x.gradForAccumulation().axpy(0, 1, out.grad(), 0, out.size());
    }
}
