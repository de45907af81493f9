package io.jsteer.tensor.autograd;

/** Elementwise functions of one tensor; the derivative uses the input and the output. */
final class Unary implements Node {

    enum Kind {
        EXP, LOG, SQUARE, SQRT, ABS, SIGMOID, SILU, TANH, RELU;

        double apply(double x) {
            return switch (this) {
                case EXP -> Math.exp(x);
                case LOG -> Math.log(x);
                case SQUARE -> x * x;
                case SQRT -> Math.sqrt(x);
                case ABS -> Math.abs(x);
                case SIGMOID -> sigmoid(x);
                case SILU -> x * sigmoid(x);
                case TANH -> Math.tanh(x);
                case RELU -> Math.max(0, x);
            };
        }

        /** d f(x)/dx given x and y = f(x). */
        double derivative(double x, double y) {
            return switch (this) {
                case EXP -> y;
                case LOG -> 1 / x;
                case SQUARE -> 2 * x;
                case SQRT -> 0.5 / y;
                case ABS -> Math.signum(x);
                case SIGMOID -> y * (1 - y);
                case SILU -> {
                    double s = sigmoid(x);
                    yield s * (1 + x * (1 - s));
                }
                case TANH -> 1 - y * y;
                case RELU -> x > 0 ? 1 : 0;
            };
        }
    }

    static double sigmoid(double x) {
        // two branches so exp never overflows
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    private final Var x, out;
    private final Kind kind;

    private Unary(Var x, Var out, Kind kind) {
        this.x = x;
        this.out = out;
        this.kind = kind;
    }

    static Var apply(Tape tape, Var x, Kind kind) {
        Storage xs = x.data();
        Storage y = tape.precision().allocate(x.size());
        for (int i = 0; i < y.size(); i++) {
            y.set(i, kind.apply(xs.get(i)));
        }
        Var out = tape.result(x.shape(), y, x);
        if (out.requiresGrad()) {
            tape.record(new Unary(x, out, kind));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Storage g = out.grad(), xs = x.data(), ys = out.data(), gx = x.gradForAccumulation();
        for (int i = 0; i < g.size(); i++) {
            gx.add(i, g.get(i) * kind.derivative(xs.get(i), ys.get(i)));
        }
    }
}
