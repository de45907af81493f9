package io.jsteer.tensor.autograd;

/**
 * {@code d[i][j] = ‖x_i − y_j‖²} for row sets x {@code [N,D]} and y {@code [M,D]}, giving
 * {@code [N,M]}: the distances inside Gaussian-kernel MMD. Computed as explicit differences
 * (not ‖x‖²+‖y‖²−2x·y) so near-equal rows do not lose their distance to cancellation.
 */
final class PairwiseSqDist implements Node {

    private final Var x, y, out;

    private PairwiseSqDist(Var x, Var y, Var out) {
        this.x = x;
        this.y = y;
        this.out = out;
    }

    static Var apply(Tape tape, Var x, Var y) {
        int n = x.rows(), m = y.rows(), d = x.cols();
        if (y.cols() != d) {
            throw new IllegalArgumentException("pairwise distance of rows of different length: " + x + ", " + y);
        }
        Storage xs = x.data(), ys = y.data();
        Storage out = tape.precision().allocate(n * m);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int c = 0; c < d; c++) {
                    double diff = xs.get(i * d + c) - ys.get(j * d + c);
                    s += diff * diff;
                }
                out.set(i * m + j, s);
            }
        }
        Var result = tape.result(new int[] {n, m}, out, x, y);
        if (result.requiresGrad()) {
            tape.record(new PairwiseSqDist(x, y, result));
        }
        return result;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int n = x.rows(), m = y.rows(), d = x.cols();
        Storage g = out.grad(), xs = x.data(), ys = y.data();
        Storage gx = x.requiresGrad() ? x.gradForAccumulation() : null;
        Storage gy = y.requiresGrad() ? y.gradForAccumulation() : null;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double gij = 2 * g.get(i * m + j);
                // ∂/∂x_i = 2(x_i − y_j), ∂/∂y_j = −2(x_i − y_j)
                if (gx != null) {
                    gx.axpy(i * d, gij, xs, i * d, d);
                    gx.axpy(i * d, -gij, ys, j * d, d);
                }
                if (gy != null) {
                    gy.axpy(j * d, gij, ys, j * d, d);
                    gy.axpy(j * d, -gij, xs, i * d, d);
                }
            }
        }
    }
}
