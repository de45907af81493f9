package io.jsteer.steering.eval;

/** Numerically stable log-softmax in double: log p_i = z_i − max − log Σ exp(z_j − max). */
final class LogSoftmax {

    private LogSoftmax() {}

    /** log-probabilities of the first {@code n} logits, in a new array [n]. */
    static double[] of(float[] logits, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[i] - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = logits[i] - logZ;
        }
        return out;
    }

    /**
     * KL(p ‖ q) = Σ p_i (log p_i − log q_i) from log-probabilities; terms with p_i = 0 add 0.
     * Clamped at 0 against rounding: the true value is never negative.
     */
    static double kl(double[] logP, double[] logQ) {
        double kl = 0;
        for (int i = 0; i < logP.length; i++) {
            double p = Math.exp(logP[i]);
            if (p > 0) {
                kl += p * (logP[i] - logQ[i]);
            }
        }
        return Math.max(0, kl);
    }
}
