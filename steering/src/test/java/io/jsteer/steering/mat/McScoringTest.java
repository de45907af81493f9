package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.tensor.Parallel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MC1/MC2 arithmetic, and the scorer's log-probabilities against a direct token-by-token computation on stories260K. */
class McScoringTest {

    @Test
    void mc2IsTheNormalisedMassOnTrueAnswers() {
        double[] lp = {Math.log(0.2), Math.log(0.3), Math.log(0.5)};
        assertEquals(0.7, McMetrics.mc2(lp, List.of(true, false, true)), 1e-12);
        // only ratios matter: the same mass shifted by a constant in log space
        double[] shifted = {Math.log(0.2) - 500, Math.log(0.3) - 500, Math.log(0.5) - 500};
        assertEquals(0.7, McMetrics.mc2(shifted, List.of(true, false, true)), 1e-12);
        assertEquals(1, McMetrics.argmaxCorrect(lp, List.of(false, false, true)));
        assertEquals(0, McMetrics.argmaxCorrect(lp, List.of(true, true, false)));
    }

    @Test
    void mc1ComparesTheBestAnswerWithTheIncorrectOnesOnly() {
        // choices: best (true), another true, two incorrect
        List<Boolean> labels = List.of(true, true, false, false);
        // the other true answer scores highest, but MC1 ignores it: best −1.0 beats the incorrect −1.5 and −2.0
        assertEquals(1, McMetrics.mc1(new double[] {-1.0, -0.2, -1.5, -2.0}, 0, labels));
        // one incorrect answer above the best one: 0, though argmax accuracy (another true answer on top) is 1
        double[] lp = {-1.6, -0.2, -1.5, -2.0};
        assertEquals(0, McMetrics.mc1(lp, 0, labels));
        assertEquals(1, McMetrics.argmaxCorrect(lp, labels));
        // a tie with an incorrect answer is not a win (TruthfulQA: strictly greater)
        assertEquals(0, McMetrics.mc1(new double[] {-1.5, -3, -1.5, -2.0}, 0, labels));
        // the best answer given by index, not position
        assertEquals(1, McMetrics.mc1(new double[] {-4, -1.0, -1.5, -2.0}, 1, labels));
        var e = assertThrows(IllegalArgumentException.class, () -> McMetrics.mc1(lp, 2, labels));
        assertTrue(e.getMessage().contains("labelled false"), e.getMessage());
        // the evaluator averages MC1 over the items that name a best answer only
        assertThrows(IllegalArgumentException.class, () -> new McItem("t", "1", "Q: A:", List.of("a", "b"), List.of(true, false), 1));
    }

    static final McItem ITEM = new McItem("t", "1", "Q: Where did the cat go? A:",
            List.of("The cat went to the park.", "It ran home.", "Nowhere."), List.of(true, false, false), 0);

    /** Σ log p(answer tokens) by running every token of the full text through forward(), from position 0. */
    static double direct(CpuEngine engine, Tokenizer tok, McItem item, int choice) {
        int[] prompt = tok.encode(item.prompt(), true), full = tok.encode(item.text(choice), true);
        int p = McScorer.commonPrefix(prompt, full);
        double sum = 0;
        for (int i = 0; i < full.length - 1; i++) {
            float[] logits = engine.forward(full[i], i, true);
            if (i + 1 >= p) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (float l : logits) {
                    max = Math.max(max, l);
                }
                for (float l : logits) {
                    z += Math.exp(l - max);
                }
                sum += logits[full[i + 1]] - max - Math.log(z);
            }
        }
        return sum;
    }

    @Test
    void scorerLogProbsEqualADirectComputation() {
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(2); CpuEngine engine = m.newCpuEngine(256, par)) {
            double[] scored = new McScorer(engine, m.tokenizer()).logProbs(ITEM);
            double[] expected = new double[3];
            for (int c = 0; c < 3; c++) {
                expected[c] = direct(engine, m.tokenizer(), ITEM, c);
            }
            assertArrayEquals(expected, scored, 1e-3);
            for (double v : scored) {
                assertTrue(v < -1, "an answer of several tokens has a clearly negative log-probability: " + v);
            }
        }
    }

    /**
     * With a sliding window of 8 the CPU cache is a ring of 16 rows; answers of 16+ tokens go round it,
     * so the shared prompt prefix is gone when the next answer is scored and must be run again
     * (reusable says so); the scores equal the direct computation.
     */
    @Test
    void longAnswersThroughASlidingWindowRingEqualADirectComputation() {
        String a = " The cat went to the park and played with a big red ball. Then it met a dog and they ran to the river to see the fish.";
        String b = " It ran home to its mom, who gave it a bowl of milk and a soft bed, and it slept there until the sun came up again.";
        McItem item = new McItem("t", "2", ITEM.prompt(), List.of(a, b, a), List.of(true, false, false), 0);
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(2);
             CpuEngine engine = new CpuEngine(m.config().withFamily(m.config().family(), m.config().headSize(), 8), m.weights(), 256, par)) {
            int[] full = m.tokenizer().encode(item.text(0), true);
            assertTrue(full.length - m.tokenizer().encode(item.prompt(), true).length > 40, "answers longer than the ring: " + full.length);
            double[] scored = new McScorer(engine, m.tokenizer()).logProbs(item);
            double[] expected = new double[3];
            for (int c = 0; c < 3; c++) {
                expected[c] = direct(engine, m.tokenizer(), item, c);
            }
            assertArrayEquals(expected, scored, 1e-3);
            assertEquals(scored[0], scored[2], 1e-4, "the same answer twice (float32 sums over ~50 tokens)");
        }
    }

    @Test
    void steeredScoresEqualADirectComputationWithTheHookOnEveryPosition() {
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(2); CpuEngine engine = m.newCpuEngine(256, par)) {
            Site site = Site.parse("attn_heads:2");
            MatParameters mat = MatParameters.initial(List.of("a", "b"), m.config().dim(), 3);
            double[] plain = new McScorer(engine, m.tokenizer()).logProbs(ITEM);
            MatEvaluator eval = new MatEvaluator(engine, m.tokenizer());
            engine.setInterventions(eval.interventions(mat, site));
            double[] steered = new McScorer(engine, m.tokenizer()).logProbs(ITEM);
            double[] expected = new double[3];
            for (int c = 0; c < 3; c++) {
                expected[c] = direct(engine, m.tokenizer(), ITEM, c);
            }
            assertArrayEquals(expected, steered, 1e-3);
            assertTrue(Math.abs(steered[0] - plain[0]) > 1e-2, "a random module changes the scores");
            // the evaluator runs the same computation and restores the unsteered engine afterwards
            MatEvaluator.Score s = eval.score("t", List.of(ITEM), mat, site, false);
            // same path; only float rounding may differ (Vector API reductions before and after JIT compilation)
            assertEquals(McMetrics.mc2(steered, ITEM.correct()), s.mc2(), 1e-5);
            assertEquals(McMetrics.mc1(steered, 0, ITEM.correct()), s.mc1(), 0);
            assertEquals(McMetrics.mc2(expected, ITEM.correct()), s.mc2(), 1e-4); // float32 prefill vs forward
            assertArrayEquals(plain, new McScorer(engine, m.tokenizer()).logProbs(ITEM), 1e-5);

            // KL(base ‖ steered) on texts: 0 with no hooks, positive with the module, and the zero module (θ = 0)
            // changes activations only by the 1e-8 of the norm guard
            List<String> texts = List.of(ITEM.text(0), ITEM.text(1));
            assertEquals(0, eval.meanKl(texts, null), 0);
            double kl = eval.meanKl(texts, eval.interventions(mat, site));
            assertTrue(kl > 1e-3, "KL " + kl);
            MatParameters zero = new MatParameters(mat.attributes(), new float[2][m.config().dim()], mat.gateWeight(), mat.gateBias());
            assertEquals(0, eval.meanKl(texts, eval.interventions(zero, site)), 1e-9);
        }
    }
}
