package io.jsteer.steering.sweep;

import java.util.Map;

/**
 * What a behaviour metric measured in one cell.
 *
 * @param value   the number plotted and used to pick the best cell
 * @param details further numbers of the same metric by name (e.g. the per-word sentiment)
 */
public record MetricValue(double value, Map<String, Double> details) {

    public MetricValue {
        details = Map.copyOf(details);
    }
}
