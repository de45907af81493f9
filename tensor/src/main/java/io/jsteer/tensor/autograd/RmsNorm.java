package io.jsteer.tensor.autograd;

/**
 * Per row: {@code y = w ⊙ x / sqrt(mean(x²) + eps)} with w a {@code [cols]} weight (trainable
 * or constant), or no weight at all.
 */
final class RmsNorm implements Node {

    private final Var x, w, out;
    /** 1 / sqrt(mean(x²) + eps) per row, kept from the forward pass. */
    private final double[] inv;

    private RmsNorm(Var x, Var w, Var out, double[] inv) {
        this.x = x;
        this.w = w;
        this.out = out;
        this.inv = inv;
    }

    static Var apply(Tape tape, Var x, Var w, double eps) {
        int rows = x.rows(), cols = x.cols();
        if (w != null && w.size() != cols) {
            throw new IllegalArgumentException("rmsnorm weight " + w + " does not match rows of " + x);
        }
        Storage xs = x.data();
        Storage y = tape.precision().allocate(x.size());
        double[] inv = new double[rows];
        for (int r = 0; r < rows; r++) {
            double ss = xs.dot(r * cols, xs, r * cols, cols);
            inv[r] = 1 / Math.sqrt(ss / cols + eps);
            for (int c = 0; c < cols; c++) {
                double wc = w == null ? 1 : w.data().get(c);
                y.set(r * cols + c, wc * xs.get(r * cols + c) * inv[r]);
            }
        }
        Var out = w == null ? tape.result(x.shape(), y, x) : tape.result(x.shape(), y, x, w);
        if (out.requiresGrad()) {
            tape.record(new RmsNorm(x, w, out, inv));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int rows = x.rows(), cols = x.cols();
        Storage g = out.grad(), xs = x.data();
        Storage gx = x.requiresGrad() ? x.gradForAccumulation() : null;
        Storage gw = w != null && w.requiresGrad() ? w.gradForAccumulation() : null;
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double s = inv[r];
            if (gx != null) {
                // dx = s·(g⊙w) − s³/n · x · Σ (g⊙w⊙x)
                double dotGwx = 0;
                for (int c = 0; c < cols; c++) {
                    dotGwx += g.get(o + c) * weight(c) * xs.get(o + c);
                }
                double k = s * s * s * dotGwx / cols;
                for (int c = 0; c < cols; c++) {
                    gx.add(o + c, s * g.get(o + c) * weight(c) - k * xs.get(o + c));
                }
            }
            if (gw != null) {
                for (int c = 0; c < cols; c++) {
                    gw.add(c, g.get(o + c) * xs.get(o + c) * s);
                }
            }
        }
    }

    private double weight(int c) {
        return w == null ? 1 : w.data().get(c);
    }
}
