package io.jsteer.tensor.autograd;

/** Euclidean norm of every row, {@code [rows, 1]}. Not differentiable at a zero row. */
final class RowNorm implements Node {

    private final Var x, out;

    private RowNorm(Var x, Var out) {
        this.x = x;
        this.out = out;
    }

    static Var apply(Tape tape, Var x) {
        int rows = x.rows(), cols = x.cols();
        Storage xs = x.data();
        Storage y = tape.precision().allocate(rows);
        for (int r = 0; r < rows; r++) {
            y.set(r, Math.sqrt(xs.dot(r * cols, xs, r * cols, cols)));
        }
        Var out = tape.result(columnShape(x), y, x);
        if (out.requiresGrad()) {
            tape.record(new RowNorm(x, out));
        }
        return out;
    }

    /** x's shape with the last axis 1. */
    static int[] columnShape(Var x) {
        int[] shape = x.rank() == 0 ? new int[] {1} : x.shape();
        shape[shape.length - 1] = 1;
        return shape;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int rows = x.rows(), cols = x.cols();
        Storage gx = x.gradForAccumulation();
        for (int r = 0; r < rows; r++) {
            // d‖x‖/dx = x / ‖x‖
            gx.axpy(r * cols, out.grad().get(r) / out.data().get(r), x.data(), r * cols, cols);
        }
    }
}
