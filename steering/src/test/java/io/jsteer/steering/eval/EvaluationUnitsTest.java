package io.jsteer.steering.eval;

import io.jsteer.steering.data.AbItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The units of an evaluation and the table built from their outcomes, without a model. */
class EvaluationUnitsTest {

    static final List<AbItem> AB = List.of(new AbItem("q1 (", "A", "B"), new AbItem("q2 (", "B", "A"));

    @Test
    void unitsComeUnsteeredThenSteeredThenKl() {
        Evaluation.Spec s = new Evaluation.Spec(AB, List.of("t"), List.of("p1", "p2"), 3, 5, 0, 1);
        List<Evaluation.Unit> units = Evaluation.units(s, true);
        assertEquals(2 * (2 + 1 + 3) + 2, units.size());
        assertEquals(new Evaluation.Unit(false, Evaluation.Kind.AB, 0), units.getFirst());
        assertEquals(new Evaluation.Unit(true, Evaluation.Kind.AB, 0), units.get(6));
        assertEquals(new Evaluation.Unit(true, Evaluation.Kind.KL, 1), units.getLast());
        assertEquals(6, Evaluation.units(s, false).size(), "no steering: no steered units and no KL");
        assertEquals(2 + 2 + 1, Evaluation.units(new Evaluation.Spec(AB, List.of(), List.of("p"), 0, 5, 0, 1), true).size(),
                "samples 0: the A/B items in both conditions and the KL prompt, no sample units");
    }

    @Test
    void theTableAveragesOutcomesInUnitOrder() {
        Evaluation.Spec s = new Evaluation.Spec(AB, List.of("a b c"), List.of("p"), 0, 5, 0, 1);
        List<Evaluation.Outcome> outs = new ArrayList<>();
        for (Evaluation.Unit u : Evaluation.units(s, true)) {
            double[] v = switch (u.kind()) {
                case AB -> new double[] {u.steered() ? 0.9 : 0.5 + 0.1 * u.index(), u.index() + 1};
                case TEXT -> new double[] {Math.log(2), Math.log(8)};       // mean NLL ln 4: perplexity 4
                case KL -> new double[] {0.25, 0.75};
                case SAMPLE -> throw new AssertionError();
            };
            outs.add(new Evaluation.Outcome(u, v, null));
        }
        Map<String, Map<String, Object>> t = Evaluation.table(s, outs, null);
        assertEquals(0.55, (Double) t.get("unsteered").get("ab_matching_probability"), 1e-15);
        assertEquals(0.9, (Double) t.get("steered").get("ab_matching_probability"), 1e-15);
        assertEquals(1.5, (Double) t.get("steered").get("ab_logit_difference"), 1e-15);
        assertEquals(4.0, (Double) t.get("unsteered").get("perplexity"), 1e-12);
        assertEquals(0.5, (Double) t.get("steered").get("kl_vs_unsteered"), 1e-15);
        assertEquals(0.0, t.get("unsteered").get("kl_vs_unsteered"));

        List<Evaluation.Outcome> swapped = new ArrayList<>(outs);
        java.util.Collections.swap(swapped, 0, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Evaluation.table(s, swapped, null)).getMessage()
                .contains("in the order of units()"));
        assertThrows(IllegalArgumentException.class, () -> Evaluation.table(s, outs.subList(0, 5), null), "a steered unit is missing");
    }

    @Test
    void samplesNeedALexiconAndSpecsNeedSomethingToMeasure() {
        Evaluation.Spec s = new Evaluation.Spec(List.of(), List.of(), List.of("p"), 1, 5, 0, 1);
        List<Evaluation.Outcome> outs = Evaluation.units(s, false).stream()
                .map(u -> new Evaluation.Outcome(u, new double[] {3}, "happy day")).toList();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Evaluation.table(s, outs, null)).getMessage().contains("AFINN"));
        assertThrows(IllegalArgumentException.class, () -> new Evaluation.Spec(List.of(), List.of(), List.of(), 1, 5, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Evaluation.Spec(AB, List.of(), List.of(), -1, 5, 0, 1));
    }
}
