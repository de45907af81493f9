package io.jsteer.steering.kts.gate;

import java.util.List;

/** Threshold choice for a gate (spec §3 recommendation): the target false-positive rate on benign dev prompts. */
public final class Thresholds {

    private Thresholds() {}

    /**
     * The smallest threshold t (a prompt is flagged when score > t) at which at most
     * {@code targetFpr} of the benign dev scores are flagged. Being the smallest such t, it flags
     * as many true positives as that FPR allows.
     */
    public static double forFalsePositiveRate(List<Double> benignDevScores, double targetFpr) {
        if (benignDevScores.isEmpty()) {
            throw new IllegalArgumentException("threshold selection needs benign dev scores");
        }
        if (targetFpr < 0 || targetFpr >= 1) {
            throw new IllegalArgumentException("target false-positive rate must be in [0, 1), got " + targetFpr);
        }
        double[] s = benignDevScores.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int allowed = (int) Math.floor(targetFpr * s.length + 1e-9); // benign prompts that may exceed t
        // flagging exactly the top `allowed` scores: t is the largest score that stays below
        return s[s.length - 1 - allowed];
    }

    /** Fraction of scores strictly above the threshold. */
    public static double rateAbove(List<Double> scores, double threshold) {
        return scores.stream().filter(x -> x > threshold).count() / (double) scores.size();
    }
}
