package io.jsteer.steering.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.Sampler;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.eval.AfinnSentiment;
import io.jsteer.steering.eval.Degeneration;
import io.jsteer.steering.eval.EvalFixtures;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SweepRunnerTest {

    static LoadedModel model;
    static Parallel par;
    static CpuEngine engine;
    static Tokenizer tok;
    static float[] direction;

    @BeforeAll
    static void open() {
        model = EvalFixtures.stories();
        par = new Parallel(1);
        engine = model.newCpuEngine(128, par);
        tok = model.tokenizer();
        direction = EvalFixtures.unitVector(model.config().dim(), 11);
    }

    @AfterAll
    static void close() {
        engine.close();
        par.close();
        model.close();
    }

    static SweepConfig small() {
        return SweepConfig.builder()
                .layers(List.of(1, 3))
                .strengths(List.of(0.0, 2.0, 6.0))
                .prompts(List.of("Once upon a time,", "Tom went to the park."))
                .samples(6)
                .maxTokens(24)
                .temperature(0.8f)
                .seed(7)
                .klPrompts(List.of("The cat sat on the mat.", "Sue had a red ball."))
                .perplexityTexts(List.of("Once upon a time, there was a little girl named Lily. She liked to play."))
                .keepSamples(6)
                .progress(true)
                .build();
    }

    static SteeringFactory adding(List<String> calls) {
        return (layer, strength) -> {
            calls.add(layer + "@" + strength);
            return EvalFixtures.addVector(model.config().nLayers(), layer, direction, strength);
        };
    }

    SweepResult run(SweepConfig cfg, List<String> calls) {
        return new SweepRunner(engine, tok, model.name())
                .run(cfg, BehaviourMetric.afinnSentiment(EvalFixtures.afinn()), "random unit vector", adding(calls));
    }

    @Test
    void cellsAreLayerMajorWithOneBaseline() {
        List<String> calls = new ArrayList<>();
        SweepResult r = run(small(), calls);
        assertEquals(List.of("1@2.0", "1@6.0", "3@2.0", "3@6.0"), calls);
        assertEquals(4, r.cells().size());
        assertTrue(r.baseline().unsteered());
        assertEquals(0.0, r.baseline().klMean(), 1e-9);
        assertEquals("stories260K.bin", r.model());
        assertEquals("afinn_sentiment", r.behaviour());
        for (int layer : List.of(1, 3)) {
            List<SweepCell> line = r.line(layer);
            assertEquals(List.of(0.0, 2.0, 6.0), line.stream().map(SweepCell::strength).toList());
            // pushing harder along one direction moves the benign distributions further
            assertTrue(line.get(1).klMean() > 1e-4, "KL at strength 2, layer " + layer);
            assertTrue(line.get(2).klMean() > line.get(1).klMean(), "KL grows with strength at layer " + layer);
            assertTrue(line.get(2).klMax() >= line.get(2).klMean());
        }
        // steering the stream changes what is sampled from the same seeds
        assertTrue(!r.cells().get(3).samples().equals(r.baseline().samples()));
    }

    @Test
    void cellNumbersAreTheMetricsOfTheCellsTexts() {
        SweepResult r = run(small(), new ArrayList<>());
        AfinnSentiment sentiment = new AfinnSentiment(EvalFixtures.afinn());
        for (SweepCell c : r.cells()) {
            assertEquals(6, c.samples().size());
            assertEquals(sentiment.score(c.samples()).meanSum(), c.behaviour(), 1e-12);
            assertEquals(sentiment.score(c.samples()).meanPerWord(), c.behaviourDetails().get("afinn_per_word"), 1e-12);
            assertEquals(Degeneration.mean(c.samples()), c.degeneration());
            assertNotNull(c.perplexity());
            assertTrue(c.meanTokens() > 0 && c.meanTokens() <= 24);
        }
        assertTrue(r.baseline().perplexity() > 1 && r.baseline().perplexity() < 50, "perplexity " + r.baseline().perplexity());
    }

    @Test
    void baselineSamplesAreSeededGenerations() {
        SweepConfig cfg = small();
        SweepResult r = run(cfg, new ArrayList<>());
        engine.setInterventions(null);
        Generator g = new Generator(engine);
        for (int i = 0; i < cfg.samples(); i++) {
            int[] prompt = tok.encode(cfg.prompts().get(i % 2), true);
            Sampler s = new Sampler(0.8f, 1f, 7 + i * 0x9E3779B97F4A7C15L);
            GenerationResult gr = g.generate(prompt, 24, s, t -> t == tok.bos() || t == tok.eos(), (a, b) -> {});
            assertEquals(tok.decode(gr.generated()), r.baseline().samples().get(i), "sample " + i);
        }
    }

    @Test
    void twoRunsWithOneSeedAgree() {
        SweepResult a = run(small(), new ArrayList<>());
        SweepResult b = run(small(), new ArrayList<>());
        assertSameCell(a.baseline(), b.baseline());
        assertEquals(a.cells().size(), b.cells().size());
        for (int i = 0; i < a.cells().size(); i++) {
            assertSameCell(a.cells().get(i), b.cells().get(i));
        }
        // another seed samples other texts
        SweepConfig c = small();
        SweepConfig other = new SweepConfig(c.layers(), c.strengths(), c.prompts(), c.samples(), c.maxTokens(), c.temperature(),
                c.topP(), 8, c.klPrompts(), c.perplexityTexts(), c.keepSamples(), false);
        assertTrue(!run(other, new ArrayList<>()).baseline().samples().equals(a.baseline().samples()));
    }

    /**
     * Texts and sentiment must be identical; KL and perplexity to a relative 1e-5: the engine's
     * vectorised kernels round differently before and after JIT compilation (float epsilon in the
     * logits, ~1e-6 relative in a steered KL).
     */
    static void assertSameCell(SweepCell x, SweepCell y) {
        assertEquals(x.layer(), y.layer());
        assertEquals(x.strength(), y.strength());
        assertEquals(x.samples(), y.samples());
        assertEquals(x.behaviour(), y.behaviour());
        assertEquals(x.degeneration(), y.degeneration());
        assertEquals(x.klMean(), y.klMean(), 1e-5 * Math.max(1e-3, x.klMean()));
        assertEquals(x.perplexity(), y.perplexity(), 1e-5 * x.perplexity());
    }

    @Test
    void abMetricNeedsNoSamples() {
        SweepConfig c = small();
        SweepConfig noText = new SweepConfig(List.of(2), List.of(4.0), List.of(), 0, 8, 0f, 1f, 1, c.klPrompts(), List.of(), 0, false);
        List<AbItem> items = List.of(new AbItem("Lily had a ball. Was it red (A) or blue (B)? Answer: (", "A", "B"),
                new AbItem("Tom saw a dog. Was it big (A) or small (B)? Answer: (", "B", "A"));
        SweepResult r = new SweepRunner(engine, tok, model.name())
                .run(noText, BehaviourMetric.abScore(items), "unit", adding(new ArrayList<>()));
        assertEquals("ab_matching_probability", r.behaviour());
        assertNull(r.baseline().degeneration());
        assertNull(r.baseline().perplexity());
        double p = r.cells().get(0).behaviour();
        assertTrue(p > 0 && p < 1);
        assertTrue(r.cells().get(0).behaviourDetails().containsKey("ab_logit_difference"));
        assertTrue(r.cells().get(0).klMean() > 0);
    }

    @Test
    void badSettingsAreNamed() {
        SweepConfig c = small();
        SweepConfig pastEnd = new SweepConfig(List.of(5), c.strengths(), c.prompts(), 2, 8, 0.8f, 1f, 1, c.klPrompts(), List.of(), 0, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(pastEnd, new ArrayList<>()));
        assertTrue(e.getMessage().contains("layer 5"), e.getMessage());
        SweepConfig noSamples = new SweepConfig(List.of(1), c.strengths(), c.prompts(), 0, 8, 0.8f, 1f, 1, c.klPrompts(), List.of(), 0, false);
        e = assertThrows(IllegalArgumentException.class, () -> run(noSamples, new ArrayList<>()));
        assertTrue(e.getMessage().contains("--samples"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SweepConfig.builder().layers(List.of(1)).strengths(List.of(1.0))
                .prompts(List.of("x")).build());
        assertTrue(e.getMessage().contains("benign prompt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SweepConfig.builder().layers(List.of(1)).strengths(List.of(Double.NaN))
                .prompts(List.of("x")).klPrompts(List.of("y")).build());
        assertTrue(e.getMessage().contains("not finite"), e.getMessage());
    }
}
