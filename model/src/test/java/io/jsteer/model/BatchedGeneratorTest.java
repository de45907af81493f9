package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Continuous batching gives every request the tokens it would get alone. */
class BatchedGeneratorTest {

    private static final String[] PROMPTS = {"Once upon a time", "The dog", "Lily and Tom went to the park", "A big red ball",
        "One day", "The sun was"};

    /** Greedy, at most {@code max} tokens, stopping at EOS. */
    private record Greedy(int[] prompt, InterventionSet steering, int max, int eos, List<Integer> out) implements BatchedGenerator.Sequence {
        @Override
        public int next(float[] logits) {
            int t = Sampler.argmax(logits, logits.length);
            if (t == eos || out.size() == max) {
                return -1;
            }
            out.add(t);
            return t;
        }
    }

    @Test
    void sixRequestsOnThreeSlotsEachGetTheirSequentialTokens() throws Exception {
        try (LoadedModel m = TestModels.storiesGguf(); Parallel par = new Parallel(2)) {
            float[] direction = new float[m.config().dim()];
            direction[3] = 4f;
            direction[17] = -4f;
            InterventionSet steer = InterventionSet.of(AddVector.of(Site.parse("resid_post:1"), direction, 1.0, Positions.ALL));
            List<List<Integer>> expected = new ArrayList<>();
            for (int i = 0; i < PROMPTS.length; i++) {
                try (CpuEngine e = m.newCpuEngine(96, par)) {
                    e.setInterventions(i % 2 == 1 ? steer : null);
                    List<Integer> out = new ArrayList<>();
                    Greedy g = new Greedy(m.tokenizer().encode(PROMPTS[i], true), null, 20 + 5 * i, m.tokenizer().eos(), out);
                    float[] logits = e.prefill(g.prompt(), 0);
                    for (int pos = g.prompt().length; ; pos++) {
                        int t = g.next(logits);
                        if (t < 0 || pos >= 96) {
                            break;
                        }
                        logits = e.forward(t, pos, false);
                    }
                    expected.add(out);
                }
            }
            try (CpuEngine e = m.newCpuEngine(96, par); BatchedGenerator batch = new BatchedGenerator(e, 3, 96)) {
                List<List<Integer>> got = new ArrayList<>();
                List<CompletableFuture<Integer>> done = new ArrayList<>();
                for (int i = 0; i < PROMPTS.length; i++) {
                    List<Integer> out = new ArrayList<>();
                    got.add(out);
                    done.add(batch.submit(new Greedy(m.tokenizer().encode(PROMPTS[i], true), i % 2 == 1 ? steer : null,
                            20 + 5 * i, m.tokenizer().eos(), out)));
                }
                for (int i = 0; i < PROMPTS.length; i++) {
                    int generated = done.get(i).get(60, TimeUnit.SECONDS);
                    assertEquals(got.get(i).size(), generated, "request " + i);
                    assertEquals(expected.get(i), got.get(i), "request " + i + " (" + PROMPTS[i] + ")");
                }
                assertTrue(!expected.get(0).equals(expected.get(1)) && batch.activeCount() == 0 && batch.queued() == 0);
            }
        }
    }

    /** The Generator-shaped entry point gives Generator's own result for each request. */
    @Test
    void generateMatchesTheSequentialGenerator() throws Exception {
        try (LoadedModel m = TestModels.storiesGguf(); Parallel par = new Parallel(2)) {
            int[][] prompts = {m.tokenizer().encode("Once upon a time", true), m.tokenizer().encode("The little bird", true)};
            java.util.function.IntPredicate stop = t -> t == m.tokenizer().eos() || t == m.tokenizer().bos();
            try (CpuEngine solo = m.newCpuEngine(64, par); CpuEngine e = m.newCpuEngine(64, par);
                 BatchedGenerator batch = new BatchedGenerator(e, 2, 64)) {
                List<CompletableFuture<GenerationResult>> results = new ArrayList<>();
                for (int[] p : prompts) {
                    results.add(batch.generate(p, 30, new Sampler(0.8f, 0.9f, 42), stop, (a, b) -> true, null));
                }
                for (int i = 0; i < prompts.length; i++) {
                    GenerationResult want = new Generator(solo).generateUntil(prompts[i], 30, new Sampler(0.8f, 0.9f, 42), stop,
                            (a, b) -> true);
                    GenerationResult got = results.get(i).get(30, TimeUnit.SECONDS);
                    assertArrayEquals(want.tokens(), got.tokens(), "prompt " + i);
                    assertTrue(got.prefillNanos() > 0 && got.decodeNanos() > 0);
                }
            }
        }
    }

    @Test
    void aFailingRequestDoesNotStopTheOthers() throws Exception {
        try (LoadedModel m = TestModels.storiesGguf(); Parallel par = new Parallel(2); CpuEngine e = m.newCpuEngine(64, par);
             BatchedGenerator batch = new BatchedGenerator(e, 2, 64)) {
            int[] prompt = m.tokenizer().encode("Once upon a time", true);
            CompletableFuture<Integer> bad = batch.submit(new BatchedGenerator.Sequence() {
                public int[] prompt() { return prompt; }
                public InterventionSet steering() { return null; }
                public int next(float[] logits) { throw new IllegalStateException("client went away"); }
            });
            List<Integer> out = new ArrayList<>();
            CompletableFuture<Integer> good = batch.submit(new Greedy(prompt, null, 10, -5, out));
            var e1 = assertThrows(ExecutionException.class, () -> bad.get(30, TimeUnit.SECONDS));
            assertEquals("client went away", e1.getCause().getMessage());
            assertEquals(10, good.get(30, TimeUnit.SECONDS));
            var tooLong = assertThrows(ExecutionException.class, () -> batch.submit(new Greedy(new int[64], null, 1, 2, out)).get());
            assertTrue(tooLong.getCause().getMessage().contains("1..63 prompt tokens"), tooLong.getCause().getMessage());
        }
    }
}
