package io.jsteer.tensor.autograd;

/**
 * Causal scaled-dot-product self-attention with grouped KV heads. Shapes: q {@code [T,
 * nHeads*hs]}, k and v {@code [T, nKvHeads*hs]}, output {@code [T, nHeads*hs]}; query head h
 * reads KV head {@code h / (nHeads/nKvHeads)} and row t sees rows 0..t only (or, with a sliding
 * window of w, rows max(0, t-w+1)..t, as Mistral v0.1). The attention
 * probabilities are kept ({@code nHeads·T·T} doubles) for the backward pass.
 */
final class Attention implements Node {

    private final Tape tape;
    private final Var q, k, v, out;
    private final int heads, kvHeads, hs, t, window;
    private final double scale;
    /** probs[h][i][j] at ((h*T)+i)*T + j, zero above the diagonal. */
    private final double[] probs;

    private Attention(Tape tape, Var q, Var k, Var v, Var out, int heads, int kvHeads, int hs, int window, double[] probs) {
        this.tape = tape;
        this.q = q;
        this.k = k;
        this.v = v;
        this.out = out;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.hs = hs;
        this.window = window;
        this.t = q.rows();
        this.scale = 1 / Math.sqrt(hs);
        this.probs = probs;
    }

    /** First row that row i sees. */
    private static int first(int i, int window) {
        return window > 0 ? Math.max(0, i - window + 1) : 0;
    }

    static Var apply(Tape tape, Var q, Var k, Var v, int heads, int kvHeads, int hs, int window) {
        int t = q.rows();
        if (q.cols() != heads * hs || k.cols() != kvHeads * hs || !k.sameShape(v) || k.rows() != t
                || heads % kvHeads != 0 || window < 0) {
            throw new IllegalArgumentException("attention shapes: q " + q + ", k " + k + ", v " + v
                    + " for " + heads + " heads, " + kvHeads + " kv heads of " + hs + ", window " + window);
        }
        int qc = heads * hs, kc = kvHeads * hs, group = heads / kvHeads;
        double scale = 1 / Math.sqrt(hs);
        Storage qs = q.data(), ks = k.data(), vs = v.data();
        Storage y = tape.precision().allocate(t * qc);
        double[] probs = new double[heads * t * t];
        tape.parallelFor(heads, 1, (h0, h1) -> {
            for (int h = h0; h < h1; h++) {
                int kvOff = (h / group) * hs;
                for (int i = 0; i < t; i++) {
                    int p = (h * t + i) * t;
                    int lo = first(i, window);
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = lo; j <= i; j++) {
                        double s = qs.dot(i * qc + h * hs, ks, j * kc + kvOff, hs) * scale;
                        probs[p + j] = s;
                        max = Math.max(max, s);
                    }
                    double sum = 0;
                    for (int j = lo; j <= i; j++) {
                        double e = Math.exp(probs[p + j] - max);
                        probs[p + j] = e;
                        sum += e;
                    }
                    for (int j = lo; j <= i; j++) {
                        probs[p + j] /= sum;
                        y.axpy(i * qc + h * hs, probs[p + j], vs, j * kc + kvOff, hs);
                    }
                }
            }
        });
        Var out = tape.result(q.shape(), y, q, k, v);
        if (out.requiresGrad()) {
            tape.record(new Attention(tape, q, k, v, out, heads, kvHeads, hs, window, probs));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int qc = heads * hs, kc = kvHeads * hs, group = heads / kvHeads;
        Storage g = out.grad(), qs = q.data(), ks = k.data(), vs = v.data();
        Storage gq = q.requiresGrad() ? q.gradForAccumulation() : null;
        Storage gk = k.requiresGrad() ? k.gradForAccumulation() : null;
        Storage gv = v.requiresGrad() ? v.gradForAccumulation() : null;
        // one task per KV head: the query heads of a group all write the same dk/dv columns
        tape.parallelFor(kvHeads, 1, (g0, g1) -> {
            double[] dScore = new double[t];
            for (int kvh = g0; kvh < g1; kvh++) {
                int kvOff = kvh * hs;
                for (int h = kvh * group; h < (kvh + 1) * group; h++) {
                    for (int i = 0; i < t; i++) {
                        int p = (h * t + i) * t;
                        int row = i * qc + h * hs;
                        int lo = first(i, window);
                        double weighted = 0;
                        for (int j = lo; j <= i; j++) {
                            double dp = g.dot(row, vs, j * kc + kvOff, hs);
                            dScore[j] = dp;
                            weighted += probs[p + j] * dp;
                            if (gv != null) {
                                gv.axpy(j * kc + kvOff, probs[p + j], g, row, hs);
                            }
                        }
                        for (int j = lo; j <= i; j++) {
                            double ds = probs[p + j] * (dScore[j] - weighted) * scale;
                            if (gq != null) {
                                gq.axpy(row, ds, ks, j * kc + kvOff, hs);
                            }
                            if (gk != null) {
                                gk.axpy(j * kc + kvOff, ds, qs, row, hs);
                            }
                        }
                    }
                }
            }
        });
    }
}
