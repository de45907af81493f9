package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.Ablate;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Several sequences decoded in one pass over the weights (a server's concurrent requests) must
 * each compute exactly what that sequence computes alone: own cache, own position, own steering.
 */
class BatchedDecodeTest {

    @Test
    void eachRowOfABatchEqualsItsSequenceAlone() {
        try (LoadedModel m = TestModels.storiesGguf(); Parallel par = new Parallel(2)) {
            String[] prompts = {"Once upon a time", "The cat sat on the mat and", "Lily"};
            float[] direction = new float[m.config().dim()];
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < direction.length; i++) {
                direction[i] = (float) r.nextGaussian();
            }
            // sequence 1 is steered (as one request with steering among unsteered ones)
            InterventionSet steer = InterventionSet.of(AddVector.of(Site.parse("resid_post:2"), direction, 2.0, Positions.ALL));
            InterventionSet[] sets = {null, steer, null};
            int steps = 24, n = prompts.length;
            int[][] tokens = new int[n][];
            float[][][] alone = new float[n][steps][];
            for (int s = 0; s < n; s++) {
                try (CpuEngine e = m.newCpuEngine(128, par)) {
                    e.setInterventions(sets[s]);
                    int[] prompt = m.tokenizer().encode(prompts[s], true);
                    tokens[s] = new int[prompt.length + steps];
                    System.arraycopy(prompt, 0, tokens[s], 0, prompt.length);
                    float[] logits = e.prefill(prompt, 0);
                    for (int k = 0; k < steps; k++) {
                        int next = Sampler.argmax(logits, logits.length);
                        tokens[s][prompt.length + k] = next;
                        logits = e.forward(next, prompt.length + k, false);
                        alone[s][k] = logits.clone();
                    }
                }
            }
            try (CpuEngine e = m.newCpuEngine(128, par)) {
                KvCache[] caches = new KvCache[n];
                int[] promptLength = new int[n];
                for (int s = 0; s < n; s++) {
                    caches[s] = e.newCache(128);
                    int[] prompt = m.tokenizer().encode(prompts[s], true);
                    promptLength[s] = prompt.length;
                    e.prefill(caches[s], sets[s], prompt, 0);
                }
                float maxDiffSteered = 0;
                for (int k = 0; k < steps; k++) {
                    int[] step = new int[n], pos = new int[n];
                    for (int s = 0; s < n; s++) {
                        pos[s] = promptLength[s] + k;
                        step[s] = tokens[s][pos[s]];
                    }
                    float[][] logits = e.decodeBatch(caches, sets, step, pos); // a row's steering is its set, as setInterventions takes it
                    for (int s = 0; s < n; s++) {
                        assertArrayEquals(alone[s][k], logits[s], 1e-4f, "sequence " + s + " step " + k);
                    }
                    for (int j = 0; j < logits[1].length; j++) {
                        maxDiffSteered = Math.max(maxDiffSteered, Math.abs(logits[1][j] - logits[0][j]));
                    }
                }
                assertTrue(maxDiffSteered > 0.1f, "the steered row must differ from the others");
            }
        }
    }

    /**
     * A row's steering given as a set runs as {@link InferenceEngine#setInterventions} runs it on a
     * one-sequence engine: a composition (add, then ablate at the same site), and a new set instance
     * switched in mid-sequence takes effect at once (the engine keeps a sequence's compiled set with
     * its cache and compiles again for another instance, so the old one's hooks are never served).
     */
    @Test
    void aRowsSetRunsAsSetInterventionsRunsItIncludingASwitch() {
        try (LoadedModel m = TestModels.storiesGguf(); Parallel par = new Parallel(2)) {
            int dim = m.config().dim();
            SplittableRandom r = new SplittableRandom(11);
            float[] add = new float[dim], away = new float[dim], other = new float[dim];
            for (int i = 0; i < dim; i++) {
                add[i] = (float) r.nextGaussian();
                away[i] = (float) r.nextGaussian();
                other[i] = (float) r.nextGaussian();
            }
            InterventionSet first = InterventionSet.of(AddVector.of(Site.parse("resid_post:1"), add, 2.0, Positions.ALL),
                    Ablate.of(Site.parse("resid_post:1"), away));
            InterventionSet second = InterventionSet.of(AddVector.of(Site.parse("mlp_out:0"), other, 3.0, Positions.ALL));
            int steps = 16, switchAt = 6;
            int[] prompt = m.tokenizer().encode("Once upon a time", true);
            int[] tokens = new int[steps];
            float[][] alone = new float[steps][];
            try (CpuEngine e = m.newCpuEngine(64, par)) {
                e.setInterventions(first);
                float[] logits = e.prefill(prompt, 0);
                for (int k = 0; k < steps; k++) {
                    if (k == switchAt) {
                        e.setInterventions(second);
                    }
                    tokens[k] = Sampler.argmax(logits, logits.length);
                    logits = e.forward(tokens[k], prompt.length + k, false);
                    alone[k] = logits.clone();
                }
            }
            try (CpuEngine e = m.newCpuEngine(64, par)) {
                KvCache[] caches = {e.newCache(64), e.newCache(64)};
                int[] other2 = m.tokenizer().encode("Lily", true);
                e.prefill(caches[0], first, prompt, 0);
                e.prefill(caches[1], null, other2, 0);
                for (int k = 0; k < steps; k++) {
                    InterventionSet[] sets = {k < switchAt ? first : second, null};
                    float[][] logits = e.decodeBatch(caches, sets, new int[] {tokens[k], 1}, new int[] {prompt.length + k, other2.length + k});
                    assertArrayEquals(alone[k], logits[0], 1e-4f, "step " + k);
                }
                InterventionSet wrongSize = InterventionSet.of(AddVector.of(Site.parse("resid_post:1"), new float[dim + 1], 1, Positions.ALL));
                var bad = assertThrows(IllegalArgumentException.class, () -> e.decodeBatch(caches, new InterventionSet[] {null, wrongSize},
                        new int[] {1, 1}, new int[] {prompt.length + steps, other2.length + steps}));
                assertTrue(bad.getMessage().startsWith("steering of sequence 1: "), bad.getMessage());
            }
        }
    }

    @Test
    void badBatchesAreRefused() {
        try (LoadedModel m = TestModels.storiesGguf(); Parallel par = new Parallel(1); CpuEngine e = m.newCpuEngine(64, par)) {
            KvCache a = e.newCache(64);
            var shared = assertThrows(IllegalArgumentException.class,
                    () -> e.decodeBatch(new KvCache[] {a, a}, null, new int[] {1, 1}, new int[] {0, 0}));
            assertTrue(shared.getMessage().contains("share one cache"), shared.getMessage());
            var past = assertThrows(IllegalArgumentException.class,
                    () -> e.decodeBatch(new KvCache[] {e.newCache(8)}, null, new int[] {1}, new int[] {8}));
            assertTrue(past.getMessage().contains("outside sequence 0's context of 8"), past.getMessage());
            assertThrows(IllegalArgumentException.class, () -> e.newCache(65));
        }
    }
}
