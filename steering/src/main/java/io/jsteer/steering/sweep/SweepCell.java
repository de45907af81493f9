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
 *
 * <p>Serializable: a distributed sweep computes cells on other machines and sends them back.
 */
public record SweepCell(int layer, double strength, double behaviour, Map<String, Double> behaviourDetails,
                        double klMean, double klMax, Double perplexity, DegenerationScore degeneration,
                        double meanTokens, List<String> samples) implements java.io.Serializable {

    public SweepCell {
        behaviourDetails = Map.copyOf(behaviourDetails);
        samples = List.copyOf(samples);
    }

    /** Whether this is the unsteered baseline (not named isBaseline, which JSON would take for a field). */
    public boolean unsteered() {
        return layer < 0;
    }
}
