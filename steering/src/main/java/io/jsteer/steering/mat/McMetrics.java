package io.jsteer.steering.mat;

import java.util.List;

/** Multiple-choice metrics from per-choice log-likelihoods. */
public final class McMetrics {

    private McMetrics() {}

    /**
     * TruthfulQA MC2: the normalised probability mass on the true answers,
     * Σ_true exp(lp) / Σ_all exp(lp), computed stably in log space.
     */
    public static double mc2(double[] logProbs, List<Boolean> correct) {
        double max = Double.NEGATIVE_INFINITY;
        for (double lp : logProbs) {
            max = Math.max(max, lp);
        }
        double all = 0, truth = 0;
        for (int i = 0; i < logProbs.length; i++) {
            double p = Math.exp(logProbs[i] - max);
            all += p;
            if (correct.get(i)) {
                truth += p;
            }
        }
        return truth / all;
    }

    /** 1 when the most likely choice is a true one (ties: the first), else 0 — argmax accuracy. */
    public static double argmaxCorrect(double[] logProbs, List<Boolean> correct) {
        int best = 0;
        for (int i = 1; i < logProbs.length; i++) {
            if (logProbs[i] > logProbs[best]) {
                best = i;
            }
        }
        return correct.get(best) ? 1 : 0;
    }
}
