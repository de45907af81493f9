package io.jsteer.tensor.autograd;

/**
 * {@code KL(P ‖ Q) = Σ_c p_c (log p_c − log q_c)} per row, from log-probabilities
 * {@code logP, logQ [T,V]}, averaged over the rows whose mask entry is true (all rows when the
 * mask is null). Swap the arguments for the other direction. Both inputs may carry gradients:
 * {@code ∂/∂logP_c = p_c (logP_c − logQ_c + 1)} and {@code ∂/∂logQ_c = −p_c} (the "+1" term
 * cancels when logP comes out of a log-softmax, but it is the true partial for free inputs).
 */
final class KlDivergence implements Node {

    private final Var logP, logQ, out;
    private final boolean[] mask;
    private final int count;

    private KlDivergence(Var logP, Var logQ, Var out, boolean[] mask, int count) {
        this.logP = logP;
        this.logQ = logQ;
        this.out = out;
        this.mask = mask;
        this.count = count;
    }

    static Var apply(Tape tape, Var logP, Var logQ, boolean[] mask) {
        if (!logP.sameShape(logQ)) {
            throw new IllegalArgumentException("KL of different shapes: " + logP + ", " + logQ);
        }
        int rows = logP.rows(), v = logP.cols();
        if (mask != null && mask.length != rows) {
            throw new IllegalArgumentException("mask of " + mask.length + " for " + rows + " rows");
        }
        Storage lp = logP.data(), lq = logQ.data();
        double total = 0;
        int count = 0;
        for (int r = 0; r < rows; r++) {
            if (mask != null && !mask[r]) {
                continue;
            }
            for (int c = r * v; c < (r + 1) * v; c++) {
                double a = lp.get(c);
                total += Math.exp(a) * (a - lq.get(c));
            }
            count++;
        }
        Storage y = tape.precision().allocate(1);
        y.set(0, count == 0 ? 0 : total / count);
        Var out = tape.result(new int[0], y, logP, logQ);
        if (out.requiresGrad() && count > 0) {
            tape.record(new KlDivergence(logP, logQ, out, mask == null ? null : mask.clone(), count));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int rows = logP.rows(), v = logP.cols();
        double g = out.grad().get(0) / count;
        Storage lp = logP.data(), lq = logQ.data();
        Storage gp = logP.requiresGrad() ? logP.gradForAccumulation() : null;
        Storage gq = logQ.requiresGrad() ? logQ.gradForAccumulation() : null;
        for (int r = 0; r < rows; r++) {
            if (mask != null && !mask[r]) {
                continue;
            }
            for (int c = r * v; c < (r + 1) * v; c++) {
                double a = lp.get(c), p = Math.exp(a);
                if (gp != null) {
                    gp.add(c, g * p * (a - lq.get(c) + 1));
                }
                if (gq != null) {
                    gq.add(c, -g * p);
                }
            }
        }
    }
}
