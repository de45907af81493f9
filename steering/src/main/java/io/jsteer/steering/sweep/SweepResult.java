package io.jsteer.steering.sweep;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A finished sweep: provenance, the baseline and every steered cell (layer-major, in the order
 * of the config's layers and strengths).
 *
 * @param model     the model's name (e.g. its file name)
 * @param steering  what was applied, in words (e.g. {@code resid_post add mean(happy) - mean(sad)})
 * @param behaviour the behaviour metric's name
 * @param config    the settings the sweep ran with
 * @param baseline  the unsteered cell (layer −1, strength 0)
 * @param cells     the steered cells
 */
public record SweepResult(String model, String steering, String behaviour, SweepConfig config, SweepCell baseline,
                          List<SweepCell> cells) {

    public SweepResult {
        cells = List.copyOf(cells);
    }

    /** The cells of one layer by ascending strength, with the baseline at strength 0 among them. */
    public List<SweepCell> line(int layer) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(baseline),
                        cells.stream().filter(c -> c.layer() == layer))
                .sorted(Comparator.comparingDouble(SweepCell::strength))
                .toList();
    }

    /** The best steered cell under {@code criteria}, if any passes its limits. */
    public Optional<SweepCell> best(BestCellCriteria criteria) {
        Comparator<SweepCell> byBehaviour = Comparator.comparingDouble(SweepCell::behaviour);
        return cells.stream()
                .filter(c -> criteria.accepts(c, baseline))
                .max(criteria.higherIsBetter() ? byBehaviour : byBehaviour.reversed());
    }
}
