package io.jsteer.tensor.autograd;

/**
 * Elementwise {@code a ∘ b} for ∘ in +, −, ×, ÷, with {@code b} possibly broadcast (see
 * {@link Broadcast}). The result has a's shape.
 */
final class Binary implements Node {

    enum Kind {
        ADD, SUB, MUL, DIV;

        double apply(double x, double y) {
            return switch (this) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
            };
        }

        /** ∂(x∘y)/∂x. */
        double dx(double x, double y) {
            return switch (this) {
                case ADD, SUB -> 1;
                case MUL -> y;
                case DIV -> 1 / y;
            };
        }

        /** ∂(x∘y)/∂y. */
        double dy(double x, double y) {
            return switch (this) {
                case ADD -> 1;
                case SUB -> -1;
                case MUL -> x;
                case DIV -> -x / (y * y);
            };
        }
    }

    private final Var a, b, out;
    private final Kind kind;
    private final Broadcast bc;

    private Binary(Var a, Var b, Var out, Kind kind, Broadcast bc) {
        this.a = a;
        this.b = b;
        this.out = out;
        this.kind = kind;
        this.bc = bc;
    }

    static Var apply(Tape tape, Var a, Var b, Kind kind) {
        Broadcast bc = Broadcast.of(a, b);
        int n = a.size(), cols = a.cols();
        Storage as = a.data(), bs = b.data();
        Storage c = tape.precision().allocate(n);
        for (int i = 0; i < n; i++) {
            c.set(i, kind.apply(as.get(i), bs.get(bc.index(i, cols))));
        }
        Var out = tape.result(a.shape(), c, a, b);
        if (out.requiresGrad()) {
            tape.record(new Binary(a, b, out, kind, bc));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Storage g = out.grad(), as = a.data(), bs = b.data();
        int n = a.size(), cols = a.cols();
        Storage ga = a.requiresGrad() ? a.gradForAccumulation() : null;
        Storage gb = b.requiresGrad() ? b.gradForAccumulation() : null;
        for (int i = 0; i < n; i++) {
            int j = bc.index(i, cols);
            double x = as.get(i), y = bs.get(j), gi = g.get(i);
            if (ga != null) {
                ga.add(i, gi * kind.dx(x, y));
            }
            if (gb != null) {
                gb.add(j, gi * kind.dy(x, y));
            }
        }
    }
}
