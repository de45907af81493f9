package io.jsteer.tensor.autograd;

/**
 * Sum or mean, over everything (a scalar {@code []}) or along the last axis (shape with the
 * last dimension 1, so the result broadcasts back over its rows as a {@code COLUMN}).
 */
final class Reduce implements Node {

    private final Var x, out;
    private final boolean lastAxis;
    private final double factor;

    private Reduce(Var x, Var out, boolean lastAxis, double factor) {
        this.x = x;
        this.out = out;
        this.lastAxis = lastAxis;
        this.factor = factor;
    }

    static Var apply(Tape tape, Var x, boolean mean, boolean lastAxis) {
        Storage xs = x.data();
        int cols = lastAxis ? x.cols() : x.size();
        int rows = lastAxis ? x.rows() : 1;
        double factor = mean ? 1.0 / cols : 1.0;
        Storage y = tape.precision().allocate(rows);
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += xs.get(r * cols + c);
            }
            y.set(r, s * factor);
        }
        int[] shape;
        if (lastAxis) {
            shape = x.shape();
            if (shape.length == 0) {
                shape = new int[] {1};
            }
            shape[shape.length - 1] = 1;
        } else {
            shape = new int[0];
        }
        Var out = tape.result(shape, y, x);
        if (out.requiresGrad()) {
            tape.record(new Reduce(x, out, lastAxis, factor));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Storage g = out.grad(), gx = x.gradForAccumulation();
        int cols = lastAxis ? x.cols() : x.size();
        for (int i = 0; i < gx.size(); i++) {
            gx.add(i, g.get(i / cols) * factor);
        }
    }
}
