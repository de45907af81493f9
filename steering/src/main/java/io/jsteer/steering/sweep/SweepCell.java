package io.jsteer.steering.sweep;

import io.jsteer.steering.eval.Degeneration.DegenerationScore;
import java.util.List;
import java.util.Map;

/**
 * The measurements of one (layer, strength) cell; the baseline cell has layer −1 and strength 0.
 *
 * @param layer            0-based block steered, −1 for the unsteered baseline
 * @param strength         steering strength, 0 for the baseline
 * @param behaviour        the behaviour metric's value
 * @param behaviourDetails the metric's further numbers
 * @param klMean           mean per-position KL(p_base ‖ p_steered) on the benign prompts, nats
 * @param klMax            largest per-position KL, nats
 * @param perplexity       perplexity of the steered model on the held-out texts, or null when none were given
 * @param degeneration     mean degeneration of the sampled texts, or null when none were sampled
 * @param meanTokens       mean generated tokens per sample (short texts mean early end-of-text)
 * @param samples          the first few sampled texts, for reading
 * @param behaviourPerSample the behaviour score of every sampled text (or A/B item) whose mean is
 *                         {@code behaviour}; the report bootstraps its confidence interval from
 *                         them. Empty when the metric is not a mean of such scores (or in a file
 *                         written before they were kept).
 *
 * <p>Serializable: a distributed sweep computes cells on other machines and sends them back.
 */
public record SweepCell(int layer, double strength, double behaviour, Map<String, Double> behaviourDetails,
                        double klMean, double klMax, Double perplexity, DegenerationScore degeneration,
                        double meanTokens, List<String> samples, List<Double> behaviourPerSample)
        implements java.io.Serializable {

    public SweepCell {
        behaviourDetails = Map.copyOf(behaviourDetails);
        samples = List.copyOf(samples);
        behaviourPerSample = behaviourPerSample == null ? List.of() : List.copyOf(behaviourPerSample);
    }

    /** A cell without per-sample scores (no confidence interval in the report). */
    public SweepCell(int layer, double strength, double behaviour, Map<String, Double> behaviourDetails,
                     double klMean, double klMax, Double perplexity, DegenerationScore degeneration,
                     double meanTokens, List<String> samples) {
        this(layer, strength, behaviour, behaviourDetails, klMean, klMax, perplexity, degeneration, meanTokens, samples, List.of());
    }

    /** Whether this is the unsteered baseline (not named isBaseline, which JSON would take for a field). */
    public boolean unsteered() {
        return layer < 0;
    }
}
