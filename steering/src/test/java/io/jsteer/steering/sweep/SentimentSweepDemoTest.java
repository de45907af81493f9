package io.jsteer.steering.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.eval.EvalFixtures;
import io.jsteer.tensor.Parallel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README demo on stories260K: sentiment rises with the happy−sad strength while KL grows. */
class SentimentSweepDemoTest {

    @Test
    void promptsArePaired() {
        List<String> happy = SentimentSweepDemo.happyPrompts(), sad = SentimentSweepDemo.sadPrompts();
        assertEquals(32, happy.size());
        assertEquals(happy.size(), sad.size());
        assertEquals("Lily was very happy. She smiled and laughed all day.", happy.get(0));
        assertEquals("Lily was very sad. She cried and frowned all day.", sad.get(0));
    }

    @Test
    void sentimentRisesWithStrengthWhileKlGrows() {
        List<Double> strengths = List.of(0.0, 0.4, 0.8, 1.2, 1.6);
        try (LoadedModel model = EvalFixtures.stories(); Parallel par = new Parallel(1);
             CpuEngine engine = model.newCpuEngine(256, par)) {
            var set = SentimentSweepDemo.happyMinusSad(engine, model.tokenizer(), model.name());
            assertEquals(model.config().nLayers(), set.vectors().size());
            for (float[] d : set.vectors().values()) {
                double n = 0;
                for (float x : d) {
                    n += x * x;
                }
                assertEquals(1.0, n, 1e-5);
            }
            SweepResult r = SentimentSweepDemo.run(engine, model.tokenizer(), model.name(), EvalFixtures.afinn(),
                    SentimentSweepDemo.config(List.of(1), strengths, 100, 42));
            List<SweepCell> line = r.line(1);
            double[] sentiment = line.stream().mapToDouble(SweepCell::behaviour).toArray();
            double[] kl = line.stream().mapToDouble(SweepCell::klMean).toArray();
            String figures = "sentiment " + Arrays.toString(sentiment) + ", KL " + Arrays.toString(kl);
            System.err.println("demo, layer 1, strengths " + strengths + ": " + figures);

            for (int i = 1; i < kl.length; i++) {
                assertTrue(kl[i] > kl[i - 1], "KL grows with strength: " + figures);
            }
            // Sampling noise on 100 stories is about ±0.3 per cell, so the rise is asked of the
            // ranks (at most one neighbouring pair out of order) and of the size of the change.
            assertTrue(spearman(sentiment) >= 0.9, "sentiment rises with strength: " + figures);
            assertTrue(sentiment[3] > sentiment[0] + 0.5 && sentiment[4] > sentiment[0] + 0.5,
                    "the strongest cells are clearly happier than the baseline: " + figures);
            // and the text is still text: at most a small loss of distinct bigrams; held-out stories
            // get less likely as the stream is pushed off its usual course
            assertTrue(line.get(4).degeneration().distinct2() > 0.9 * line.get(0).degeneration().distinct2(), figures);
            assertTrue(line.get(4).perplexity() > line.get(0).perplexity(), "perplexity " + line.get(0).perplexity()
                    + " -> " + line.get(4).perplexity());
        }
    }

    /** Spearman rank correlation of values with their index (no ties expected). */
    static double spearman(double[] v) {
        int n = v.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(v[a], v[b]));
        double d2 = 0;
        for (int rank = 0; rank < n; rank++) {
            double d = rank - order[rank];
            d2 += d * d;
        }
        return 1 - 6 * d2 / (n * (double) (n * n - 1));
    }
}
