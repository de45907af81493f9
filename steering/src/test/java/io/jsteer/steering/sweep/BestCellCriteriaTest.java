package io.jsteer.steering.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.eval.Degeneration.DegenerationScore;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BestCellCriteriaTest {

    static SweepCell cell(int layer, double strength, double behaviour, double kl, double distinct2) {
        return new SweepCell(layer, strength, behaviour, Map.of(), kl, kl * 2, null,
                new DegenerationScore(0.9, distinct2, 0.95, 0, 0.7), 64, List.of());
    }

    static SweepResult result(List<SweepCell> cells) {
        SweepConfig cfg = SweepConfig.builder().layers(List.of(1, 2)).strengths(List.of(1.0, 2.0, 4.0))
                .prompts(List.of("p")).klPrompts(List.of("k")).build();
        return new SweepResult("m", "s", "afinn_sentiment", cfg, cell(-1, 0, 1.0, 0, 0.9), cells);
    }

    @Test
    void picksTheHighestBehaviourWithinTheLimits() {
        SweepCell ok = cell(1, 1, 2.0, 0.2, 0.9);
        SweepCell better = cell(1, 2, 3.0, 0.8, 0.8);
        SweepCell tooFar = cell(1, 4, 9.0, 1.5, 0.9);      // KL above 1
        SweepCell repetitive = cell(2, 4, 8.0, 0.5, 0.5);  // distinct-2 0.5 < 0.8 × 0.9
        SweepResult r = result(List.of(ok, better, tooFar, repetitive));
        assertEquals(better, r.best(BestCellCriteria.defaults()).orElseThrow());
        assertEquals(ok, r.best(new BestCellCriteria(0.5, 0.8, true)).orElseThrow());
        assertEquals(repetitive, r.best(new BestCellCriteria(1.0, 0.5, true)).orElseThrow());
        // lower is better: the lowest behaviour among those that pass
        assertEquals(ok, r.best(new BestCellCriteria(1.0, 0.8, false)).orElseThrow());
        assertTrue(r.best(new BestCellCriteria(0.1, 0.8, true)).isEmpty());
    }

    @Test
    void lineSortsByStrengthWithTheBaseline() {
        SweepResult r = result(List.of(cell(1, 2, 3, 0.1, 0.9), cell(1, -1, 0.5, 0.1, 0.9), cell(2, 1, 2, 0.1, 0.9)));
        assertEquals(List.of(-1.0, 0.0, 2.0), r.line(1).stream().map(SweepCell::strength).toList());
        assertEquals(List.of(0.0, 1.0), r.line(2).stream().map(SweepCell::strength).toList());
    }

    @Test
    void limitsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> new BestCellCriteria(-1, 0.5, true));
        assertThrows(IllegalArgumentException.class, () -> new BestCellCriteria(1, 1.5, true));
    }
}
