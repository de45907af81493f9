package io.jsteer.tensor.autograd;

/** Softmax or log-softmax along the last axis (max-subtracted, so large logits are safe). */
final class Softmax implements Node {

    private final Var x, out;
    private final boolean log;

    private Softmax(Var x, Var out, boolean log) {
        this.x = x;
        this.out = out;
        this.log = log;
    }

    static Var apply(Tape tape, Var x, boolean log) {
        int rows = x.rows(), cols = x.cols();
        Storage xs = x.data();
        Storage y = tape.precision().allocate(x.size());
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double lse = logSumExp(xs, o, cols);
            for (int c = 0; c < cols; c++) {
                double ls = xs.get(o + c) - lse;
                y.set(o + c, log ? ls : Math.exp(ls));
            }
        }
        Var out = tape.result(x.shape(), y, x);
        if (out.requiresGrad()) {
            tape.record(new Softmax(x, out, log));
        }
        return out;
    }

    static double logSumExp(Storage xs, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            max = Math.max(max, xs.get(off + c));
        }
        double sum = 0;
        for (int c = 0; c < n; c++) {
            sum += Math.exp(xs.get(off + c) - max);
        }
        return max + Math.log(sum);
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int rows = x.rows(), cols = x.cols();
        Storage g = out.grad(), y = out.data(), gx = x.gradForAccumulation();
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            if (log) {
                // dx = g − softmax · Σg
                double sumG = 0;
                for (int c = 0; c < cols; c++) {
                    sumG += g.get(o + c);
                }
                for (int c = 0; c < cols; c++) {
                    gx.add(o + c, g.get(o + c) - Math.exp(y.get(o + c)) * sumG);
                }
            } else {
                // dx = y ⊙ (g − Σ g⊙y)
                double dotGy = g.dot(o, y, o, cols);
                for (int c = 0; c < cols; c++) {
                    gx.add(o + c, y.get(o + c) * (g.get(o + c) - dotGy));
                }
            }
        }
    }
}
