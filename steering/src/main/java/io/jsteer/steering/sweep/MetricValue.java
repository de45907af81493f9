package io.jsteer.steering.sweep;

import java.util.List;
import java.util.Map;

/**
 * What a behaviour metric measured in one cell.
 *
 * @param value     the number plotted and used to pick the best cell
 * @param details   further numbers of the same metric by name (e.g. the per-word sentiment)
 * @param perSample the score of each text or item whose mean is {@code value} (for a bootstrap
 *                  confidence interval), empty when the metric is not such a mean
 */
public record MetricValue(double value, Map<String, Double> details, List<Double> perSample) {

    public MetricValue {
        details = Map.copyOf(details);
        perSample = List.copyOf(perSample);
    }

    public MetricValue(double value, Map<String, Double> details) {
        this(value, details, List.of());
    }

    /** The mean of {@code perSample} as the value, with the samples kept. */
    public static MetricValue meanOf(List<Double> perSample, Map<String, Double> details) {
        if (perSample.isEmpty()) {
            throw new IllegalArgumentException("a metric needs at least one sample");
        }
        return new MetricValue(perSample.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), details, perSample);
    }
}
