package io.jsteer.steering.report;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Percentile bootstrap confidence interval of a mean: resample the values with replacement
 * {@code resamples} times, take each resample's mean, and report the {@code (1−level)/2} and
 * {@code (1+level)/2} quantiles of those means. Seeded, so a report is reproducible.
 *
 * @param mean  the mean of the values themselves
 * @param low   lower end of the interval
 * @param high  upper end of the interval
 * @param level coverage asked for, e.g. 0.95
 * @param n     how many values the interval rests on
 */
public record BootstrapInterval(double mean, double low, double high, double level, int n) {

    /** Resamples used by the reports: enough that the 2.5% quantile moves by well under a tick. */
    public static final int RESAMPLES = 2000;

    /** The seed every report uses, so that a report regenerated from the same JSON draws the same bars. */
    public static final long SEED = 20241203L;

    /** 95% interval of the mean of {@code values} with the reports' resamples and seed. */
    public static BootstrapInterval of95(List<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray(), 0.95, RESAMPLES, SEED);
    }

    public static BootstrapInterval of(double[] values, double level, int resamples, long seed) {
        if (values.length == 0) {
            throw new IllegalArgumentException("bootstrap: no values");
        }
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("bootstrap: level must be in (0, 1), got " + level);
        }
        if (resamples < 1) {
            throw new IllegalArgumentException("bootstrap: resamples must be at least 1, got " + resamples);
        }
        int n = values.length;
        double mean = 0;
        for (double v : values) {
            mean += v;
        }
        mean /= n;
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] means = new double[resamples]; // [resamples]
        for (int b = 0; b < resamples; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += values[rnd.nextInt(n)];
            }
            means[b] = s / n;
        }
        Arrays.sort(means);
        double tail = (1 - level) / 2;
        return new BootstrapInterval(mean, quantile(means, tail), quantile(means, 1 - tail), level, n);
    }

    /** Linear interpolation between order statistics (type 7, as R's default and NumPy's). */
    static double quantile(double[] sorted, double p) {
        double h = (sorted.length - 1) * p;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /** Half the interval's width, for a "± x" in a table. */
    public double halfWidth() {
        return (high - low) / 2;
    }
}
