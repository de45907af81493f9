package io.jsteer.tensor.autograd;

import java.util.SplittableRandom;

/**
 * Inverted dropout: every element of x is zeroed with probability p and the others are scaled by
 * {@code 1/(1−p)}, so the expected value is x. The mask is drawn from {@code SplittableRandom(seed)}
 * element by element in row-major order, so one seed always gives one mask (a recomputation or a
 * resumed run sees the same one). Backward: {@code dx = dy ⊙ mask / (1−p)}.
 */
final class Dropout implements Node {

    private final Var x, out;
    private final boolean[] kept;
    private final double scale;

    private Dropout(Var x, Var out, boolean[] kept, double scale) {
        this.x = x;
        this.out = out;
        this.kept = kept;
        this.scale = scale;
    }

    static Var apply(Tape tape, Var x, double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        if (p == 0) {
            return x;
        }
        boolean[] kept = mask(x.size(), p, seed);
        double scale = 1 / (1 - p);
        Storage xs = x.data();
        Storage y = tape.precision().allocate(x.size());
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                y.set(i, xs.get(i) * scale);
            }
        }
        Var out = tape.result(x.shape(), y, x);
        if (out.requiresGrad()) {
            tape.record(new Dropout(x, out, kept, scale));
        }
        return out;
    }

    /** The keep mask of {@link Tape#dropout}: element i is kept when its uniform draw is at least p. */
    static boolean[] mask(int n, double p, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean[] kept = new boolean[n];
        for (int i = 0; i < n; i++) {
            kept[i] = random.nextDouble() >= p;
        }
        return kept;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Storage g = out.grad(), gx = x.gradForAccumulation();
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                gx.add(i, g.get(i) * scale);
            }
        }
    }
}
