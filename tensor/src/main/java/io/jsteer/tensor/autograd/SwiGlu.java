package io.jsteer.tensor.autograd;

/** {@code silu(a) ⊙ b}, the Llama feed-forward gate, fused so no silu(a) tensor is kept. */
final class SwiGlu implements Node {

    private final Var a, b, out;

    private SwiGlu(Var a, Var b, Var out) {
        this.a = a;
        this.b = b;
        this.out = out;
    }

    static Var apply(Tape tape, Var a, Var b) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException("swiglu shapes differ: " + a + ", " + b);
        }
        Storage as = a.data(), bs = b.data();
        Storage y = tape.precision().allocate(a.size());
        for (int i = 0; i < y.size(); i++) {
            double x = as.get(i);
            y.set(i, x * Unary.sigmoid(x) * bs.get(i));
        }
        Var out = tape.result(a.shape(), y, a, b);
        if (out.requiresGrad()) {
            tape.record(new SwiGlu(a, b, out));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Storage g = out.grad(), as = a.data(), bs = b.data();
        Storage ga = a.requiresGrad() ? a.gradForAccumulation() : null;
        Storage gb = b.requiresGrad() ? b.gradForAccumulation() : null;
        for (int i = 0; i < g.size(); i++) {
            double x = as.get(i), s = Unary.sigmoid(x), gi = g.get(i);
            if (ga != null) {
                ga.add(i, gi * bs.get(i) * s * (1 + x * (1 - s)));
            }
            if (gb != null) {
                gb.add(i, gi * x * s);
            }
        }
    }
}
