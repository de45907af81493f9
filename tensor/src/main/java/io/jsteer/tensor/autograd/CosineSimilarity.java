package io.jsteer.tensor.autograd;

/** Cosine similarity of matching rows of a and b, {@code [rows, 1]}. */
final class CosineSimilarity implements Node {

    private final Var a, b, out;
    private final double[] normA, normB;

    private CosineSimilarity(Var a, Var b, Var out, double[] normA, double[] normB) {
        this.a = a;
        this.b = b;
        this.out = out;
        this.normA = normA;
        this.normB = normB;
    }

    static Var apply(Tape tape, Var a, Var b) {
        if (!a.sameShape(b)) {
            throw new IllegalArgumentException("cosine similarity shapes differ: " + a + ", " + b);
        }
        int rows = a.rows(), cols = a.cols();
        Storage as = a.data(), bs = b.data();
        double[] na = new double[rows], nb = new double[rows];
        Storage y = tape.precision().allocate(rows);
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            na[r] = Math.sqrt(as.dot(o, as, o, cols));
            nb[r] = Math.sqrt(bs.dot(o, bs, o, cols));
            y.set(r, as.dot(o, bs, o, cols) / (na[r] * nb[r]));
        }
        Var out = tape.result(RowNorm.columnShape(a), y, a, b);
        if (out.requiresGrad()) {
            tape.record(new CosineSimilarity(a, b, out, na, nb));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int rows = a.rows(), cols = a.cols();
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            double g = out.grad().get(r), c = out.data().get(r);
            // dc/da = b/(|a||b|) − c·a/|a|²
            if (a.requiresGrad()) {
                Storage ga = a.gradForAccumulation();
                ga.axpy(o, g / (normA[r] * normB[r]), b.data(), o, cols);
                ga.axpy(o, -g * c / (normA[r] * normA[r]), a.data(), o, cols);
            }
            if (b.requiresGrad()) {
                Storage gb = b.gradForAccumulation();
                gb.axpy(o, g / (normA[r] * normB[r]), a.data(), o, cols);
                gb.axpy(o, -g * c / (normB[r] * normB[r]), b.data(), o, cols);
            }
        }
    }
}
