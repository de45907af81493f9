package io.jsteer.tensor.autograd;

/** {@code y = scale * x + shift} with constant numbers (scaling, negation, adding a constant). */
final class Affine implements Node {

    private final Var x, out;
    private final double scale;

    private Affine(Var x, Var out, double scale) {
        this.x = x;
        this.out = out;
        this.scale = scale;
    }

    static Var apply(Tape tape, Var x, double scale, double shift) {
        Storage xs = x.data();
        Storage y = tape.precision().allocate(x.size());
        for (int i = 0; i < y.size(); i++) {
            y.set(i, scale * xs.get(i) + shift);
        }
        Var out = tape.result(x.shape(), y, x);
        if (out.requiresGrad()) {
            tape.record(new Affine(x, out, scale));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        x.gradForAccumulation().axpy(0, scale, out.grad(), 0, out.size());
    }
}
