package io.jsteer.steering.eval;

import io.jsteer.steering.data.AbItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** KL, perplexity and the A/B score on stories260K, each against an independent computation. */
class ModelMetricsTest {

    static LoadedModel model;
    static Parallel par;
    static CpuEngine engine;
    static Tokenizer tok;
    static int vocab, layers, dim;

    @BeforeAll
    static void open() {
        model = EvalFixtures.stories();
        par = new Parallel(1);
        engine = model.newCpuEngine(128, par);
        tok = model.tokenizer();
        vocab = model.config().vocabSize();
        layers = model.config().nLayers();
        dim = model.config().dim();
    }

    @AfterAll
    static void close() {
        engine.close();
        par.close();
        model.close();
    }

    static List<int[]> benign() {
        return List.of(tok.encode("Once upon a time, there was a little girl named Lily.", true),
                tok.encode("The sun was shining and the birds sang in the tall tree.", true));
    }

    /** log softmax the plain way: log(exp(z_i) / Σ exp(z_j)), fine for these moderate logits. */
    static double[] naiveLogProbs(float[] logits) {
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            z += Math.exp(logits[i]);
        }
        double[] out = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            out[i] = Math.log(Math.exp(logits[i]) / z);
        }
        return out;
    }

    @Test
    void klIsZeroWithoutSteering() {
        NextTokenKl kl = new NextTokenKl(engine, benign());
        NextTokenKl.KlResult none = kl.measure(null);
        NextTokenKl.KlResult empty = kl.measure(InterventionSet.of());
        int positions = benign().stream().mapToInt(p -> p.length).sum();
        assertEquals(positions, none.positions());
        // Not bit-exact: the engine's vectorised kernels round differently before and after the JIT
        // compiles them (logits move by ~1e-7 over the first runs in a JVM), which gives KL ~1e-12.
        assertEquals(0.0, none.mean(), 1e-9);
        assertEquals(0.0, empty.mean(), 1e-9);
        assertEquals(0.0, empty.max(), 1e-9);
    }

    @Test
    void klOfASteeredModelMatchesAnIndependentComputation() {
        float[] v = EvalFixtures.unitVector(dim, 7);
        InterventionSet steer = EvalFixtures.addVector(layers, 2, v, 4.0);
        NextTokenKl.KlResult r = new NextTokenKl(engine, benign()).measure(steer);

        // the same KL with a second engine for the steered model and the plain formula Σ p log(p/q)
        double sum = 0;
        int n = 0;
        try (CpuEngine steered = model.newCpuEngine(128, par)) {
            steered.setInterventions(steer);
            engine.setInterventions(null);
            for (int[] prompt : benign()) {
                for (int pos = 0; pos < prompt.length; pos++) {
                    double[] lp = naiveLogProbs(engine.forward(prompt[pos], pos, true));
                    double[] lq = naiveLogProbs(steered.forward(prompt[pos], pos, true));
                    double kl = 0;
                    for (int i = 0; i < vocab; i++) {
                        kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
                    }
                    sum += kl;
                    n++;
                }
            }
        }
        assertTrue(r.mean() > 1e-3, "steering by 4 along a unit vector moves the distribution: " + r.mean());
        assertEquals(sum / n, r.mean(), 1e-9 * Math.max(1, r.mean()));
        assertTrue(r.max() >= r.mean());
        // a stronger push moves it further
        assertTrue(new NextTokenKl(engine, benign()).measure(EvalFixtures.addVector(layers, 2, v, 16.0)).mean() > r.mean());
    }

    @Test
    void perplexityMatchesAHandComputation() {
        String text = "Once upon a time, there was a little boy named Tim. He liked to play with his red ball in the park.";
        int[] ids = tok.encode(text, true);
        engine.setHooks(null);
        Perplexity.PerplexityResult r = new Perplexity(engine).measure(List.of(ids));

        double nll = 0;
        for (int pos = 0; pos + 1 < ids.length; pos++) {
            nll -= naiveLogProbs(engine.forward(ids[pos], pos, true))[ids[pos + 1]];
        }
        double expected = nll / (ids.length - 1);
        assertEquals(ids.length - 1, r.predicted());
        assertEquals(expected, r.meanNll(), 1e-9);
        assertEquals(Math.exp(expected), r.perplexity(), 1e-9 * r.perplexity());
        // TinyStories-like text is predictable for this model; the same tokens reversed are not
        assertTrue(r.perplexity() < 20, "perplexity " + r.perplexity());
        int[] reversed = new int[ids.length];
        reversed[0] = ids[0];
        for (int i = 1; i < ids.length; i++) {
            reversed[i] = ids[ids.length - i];
        }
        assertTrue(new Perplexity(engine).measure(List.of(reversed)).perplexity() > 3 * r.perplexity());
        assertThrows(IllegalArgumentException.class, () -> new Perplexity(engine).measure(List.of(new int[] {1})));
    }

    @Test
    void abScoreMatchesTheFullSoftmax() {
        AbBehaviourScore ab = new AbBehaviourScore(engine, tok);
        AbItem item = new AbItem("Lily had a ball. Was it red (A) or blue (B)? Answer: (", "A", "B");
        engine.setHooks(null);
        AbBehaviourScore.ItemScore s = ab.score(item);

        int[] ids = tok.encode(item.question(), true);
        int a = tok.encode(item.question() + "A", true)[ids.length];
        int b = tok.encode(item.question() + "B", true)[ids.length];
        assertEquals("A", tok.piece(a));
        assertEquals("B", tok.piece(b));
        assertEquals(a, s.matchingToken());
        assertEquals(b, s.notMatchingToken());
        float[] last = null;
        for (int pos = 0; pos < ids.length; pos++) {
            last = engine.forward(ids[pos], pos, true);
        }
        double[] lp = naiveLogProbs(last);
        double pa = Math.exp(lp[a]), pb = Math.exp(lp[b]);
        assertEquals(pa / (pa + pb), s.matchingProbability(), 1e-5);
        assertEquals(lp[a] - lp[b], s.logitDifference(), 1e-4);

        // swapping the letters mirrors the score; the dataset mean is the mean of the two
        AbBehaviourScore.ItemScore swapped = ab.score(new AbItem(item.question(), "B", "A"));
        // (a second engine run: equal up to the JIT-dependent float rounding noted above)
        assertEquals(1 - s.matchingProbability(), swapped.matchingProbability(), 1e-6);
        assertEquals(-s.logitDifference(), swapped.logitDifference(), 1e-5);
        AbBehaviourScore.AbResult both = ab.score(List.of(item, new AbItem(item.question(), "B", "A")));
        assertEquals(0.5, both.meanMatchingProbability(), 1e-6);
        assertEquals(0.0, both.meanLogitDifference(), 1e-5);
    }

    @Test
    void abLetterMergedIntoThePromptIsRejected() {
        AbBehaviourScore ab = new AbBehaviourScore(engine, tok);
        // "...the " + "A": SentencePiece glues the space to the letter (▁A), so the prompt's last token changes
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ab.score(new AbItem("The answer is ", "A", "B")));
        assertTrue(e.getMessage().contains("separator"), e.getMessage());
        assertEquals("A", AbItem.fromCaa("x (", " (A)", "(B)").matching());
        assertThrows(IllegalArgumentException.class, () -> AbItem.fromCaa("x (", "()", "(B)"));
    }
}
