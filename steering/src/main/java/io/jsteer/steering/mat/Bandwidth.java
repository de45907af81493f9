package io.jsteer.steering.mat;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * The Gaussian kernel's σ: fixed (the paper's 2) or the median heuristic (σ = the median
 * pairwise distance of the training features). Spec §6 names the risk: when typical
 * ‖x−y‖² ≫ 8 every kernel value with σ = 2 is ≈ 0 and the MMD sits at ≈ 2/k with no gradient.
 */
public record Bandwidth(boolean median, double fixedSigma) {

    public static final Bandwidth PAPER = fixed(2);

    /** Rows used to estimate the median distance (O(n²·d) work). */
    private static final int MEDIAN_SAMPLE = 512;

    public Bandwidth {
        if (!median && !(fixedSigma > 0 && Double.isFinite(fixedSigma))) {
            throw new IllegalArgumentException("sigma must be a positive number, got " + fixedSigma);
        }
    }

    public static Bandwidth fixed(double sigma) { return new Bandwidth(false, sigma); }

    public static Bandwidth medianHeuristic() { return new Bandwidth(true, Double.NaN); }

    /** {@code median} or a positive number. */
    public static Bandwidth parse(String s) {
        if (s.trim().equalsIgnoreCase("median")) {
            return medianHeuristic();
        }
        try {
            return fixed(Double.parseDouble(s.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--sigma must be a positive number or 'median', got '" + s + "'");
        }
    }

    /** σ for these features, given their median pairwise distance. */
    public double sigma(double medianDistance) {
        return median ? medianDistance : fixedSigma;
    }

    @Override
    public String toString() {
        return median ? "median" : fixedSigma == Math.rint(fixedSigma) ? Long.toString((long) fixedSigma)
                : Double.toString(fixedSigma);
    }

    /**
     * Median Euclidean distance over distinct pairs of (at most 512, seeded) rows of all
     * positives and negatives together.
     */
    public static double medianPairwiseDistance(List<AttributeFeatures> attributes, long seed) {
        int total = 0;
        for (AttributeFeatures a : attributes) {
            total += a.positives().length + a.negatives().length;
        }
        float[][] all = new float[total][];
        int n = 0;
        for (AttributeFeatures a : attributes) {
            for (float[] r : a.positives()) {
                all[n++] = r;
            }
            for (float[] r : a.negatives()) {
                all[n++] = r;
            }
        }
        if (total > MEDIAN_SAMPLE) {
            Random rng = new Random(seed);
            for (int i = 0; i < MEDIAN_SAMPLE; i++) {
                int j = i + rng.nextInt(total - i);
                float[] tmp = all[i];
                all[i] = all[j];
                all[j] = tmp;
            }
            n = MEDIAN_SAMPLE;
        }
        if (n < 2) {
            throw new IllegalArgumentException("the median distance needs at least two feature rows");
        }
        double[] d = new double[n * (n - 1) / 2];
        int p = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                for (int c = 0; c < all[i].length; c++) {
                    double diff = all[i][c] - all[j][c];
                    s += diff * diff;
                }
                d[p++] = Math.sqrt(s);
            }
        }
        Arrays.sort(d);
        return d.length % 2 == 1 ? d[d.length / 2] : (d[d.length / 2 - 1] + d[d.length / 2]) / 2;
    }
}
