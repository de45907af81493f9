package io.jsteer.model;

/**
 * Log-probabilities from next-token logits, in double and numerically stable:
 * {@code log p_i = z_i − (max + log Σ exp(z_j − max))}. The one log-softmax of the scorers
 * (perplexity, KL, multiple-choice and word log-probabilities); the tape has its own for training.
 */
public final class LogProbs {

    private LogProbs() {}

    /** log-probabilities of the first {@code n} logits, in a new array [n]. */
    public static double[] of(float[] logits, int n) {
        double logZ = logNormaliser(logits, n);
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = logits[i] - logZ;
        }
        return out;
    }

    /** {@code of(logits, n)[index]} without the array. */
    public static double at(float[] logits, int n, int index) {
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("token " + index + " is outside the " + n + " scored logits");
        }
        return logits[index] - logNormaliser(logits, n);
    }

    /** {@code log Σ exp(z_j)} over the first {@code n} logits, as {@code max + log Σ exp(z_j − max)}. */
    public static double logNormaliser(float[] logits, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(logits[i] - max);
        }
        return max + Math.log(sum);
    }

    /**
     * KL(p ‖ q) = Σ p_i (log p_i − log q_i) from log-probabilities; terms with p_i = 0 add 0.
     * Clamped at 0 against rounding: the true value is never negative.
     */
    public static double kl(double[] logP, double[] logQ) {
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
