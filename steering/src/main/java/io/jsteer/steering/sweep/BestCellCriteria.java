package io.jsteer.steering.sweep;

/**
 * Which cell a report calls best: the highest behaviour (or lowest, when
 * {@code higherIsBetter} is false) among the steered cells whose KL stays at most {@code maxKl}
 * and whose text stays varied: distinct-2 at least {@code minDistinct2Ratio} × the baseline's.
 * The degeneration test is skipped when the sweep sampled no text.
 *
 * @param maxKl             largest acceptable mean KL on the benign prompts, nats
 * @param minDistinct2Ratio smallest acceptable distinct-2, as a share of the baseline's, in [0, 1]
 * @param higherIsBetter    whether the behaviour is to be raised (sentiment) or lowered (e.g. refusal under ablation)
 */
public record BestCellCriteria(double maxKl, double minDistinct2Ratio, boolean higherIsBetter) {

    public BestCellCriteria {
        if (!(maxKl >= 0)) {
            throw new IllegalArgumentException("best cell: maxKl must be 0 or more, got " + maxKl);
        }
        if (!(minDistinct2Ratio >= 0 && minDistinct2Ratio <= 1)) {
            throw new IllegalArgumentException("best cell: minDistinct2Ratio must be in [0, 1], got " + minDistinct2Ratio);
        }
    }

    /** KL at most 1 nat, distinct-2 at least 80% of the baseline's, higher behaviour better. */
    public static BestCellCriteria defaults() {
        return new BestCellCriteria(1.0, 0.8, true);
    }

    boolean accepts(SweepCell cell, SweepCell baseline) {
        if (cell.klMean() > maxKl) {
            return false;
        }
        if (cell.degeneration() != null && baseline.degeneration() != null) {
            return cell.degeneration().distinct2() >= minDistinct2Ratio * baseline.degeneration().distinct2();
        }
        return true;
    }
}
