package io.jsteer.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.family.FamilyFixtureModel;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Storage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every model family's fixture (model module's {@link FamilyFixtureModel}: llama with rope_freqs
 * and GQA, qwen2 with q/k/v biases and a tied classifier, qwen3 with per-head q/k norms and heads
 * wider than the stream, mistral with a sliding window of 8) on the tornado engine against
 * {@link CpuEngine}: the same greedy tokens, and logits within {@link #TOLERANCE} at every position.
 */
class TornadoFamiliesTest {

    /**
     * Both engines compute in float32 with sums in another order (work-group trees against the CPU's
     * vector lanes) over rows of 64-128 values in 2 blocks. Measured on PoCL: at most 6.6e-7 over all
     * 4 x 24 positions (logits spread over about 2). 2e-5 leaves 30x that for devices with other
     * exp/sqrt rounding, and stays below the smallest top-2 gap of these runs (3.95e-5, mistral), so
     * the logits check alone would catch a changed greedy token.
     */
    static final float TOLERANCE = 2e-5f;

    /** Past the mistral window (8), so positions that must forget the start are checked too. */
    static final int TOKENS = 24;

    @TempDir
    static Path dir;

    private static LoadedModel load(String family) throws IOException {
        Path f = dir.resolve(family + ".gguf");
        if (!f.toFile().exists()) {
            FamilyFixtureModel.write(family, f);
        }
        return ModelLoader.load(f, null);
    }

    /** Greedy continuation of token 1 on {@code e}, and the logits at every position. */
    private static int[] greedy(InferenceEngine e, List<float[]> logits) {
        int[] tokens = new int[TOKENS];
        tokens[0] = 1;
        for (int p = 0; p < TOKENS; p++) {
            float[] l = e.forward(tokens[p], p, p == 0).clone();
            logits.add(l);
            if (p + 1 < TOKENS) {
                tokens[p + 1] = argmax(l);
            }
        }
        return tokens;
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The gap between the top two logits: how far a token was from changing. */
    private static float margin(float[] a) {
        int best = argmax(a);
        float second = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < a.length; i++) {
            if (i != best) {
                second = Math.max(second, a[i]);
            }
        }
        return a[best] - second;
    }

    static float maxDiff(List<float[]> a, List<float[]> b) {
        float d = 0;
        for (int p = 0; p < a.size(); p++) {
            for (int i = 0; i < a.get(p).length; i++) {
                d = Math.max(d, Math.abs(a.get(p)[i] - b.get(p)[i]));
            }
        }
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral"})
    void greedyTokensAndLogitsEqualTheCpuEngine(String family) throws IOException {
        try (LoadedModel m = load(family); Parallel par = new Parallel(2)) {
            List<float[]> expected = new ArrayList<>(), actual = new ArrayList<>();
            int[] cpuTokens, gpuTokens;
            try (CpuEngine c = m.newCpuEngine(64, par)) {
                cpuTokens = greedy(c, expected);
            }
            try (TornadoEngine g = TornadoEngine.create(m.config(), m.weights(), 64)) {
                assertEquals(1, g.graphsPerToken(), "2 blocks and the head in one graph");
                gpuTokens = greedy(g, actual);
            }
            float minMargin = Float.MAX_VALUE;
            for (float[] l : expected) {
                minMargin = Math.min(minMargin, margin(l));
            }
            System.out.printf(Locale.ROOT, "%s: %d greedy tokens, max |logit diff| %.3g, smallest top-2 gap %.3g%n", family, TOKENS,
                    maxDiff(expected, actual), minMargin);
            assertArrayEquals(cpuTokens, gpuTokens, family + " greedy tokens");
            for (int p = 0; p < TOKENS; p++) {
                assertArrayEquals(expected.get(p), actual.get(p), TOLERANCE, family + " logits at position " + p);
            }
        }
    }

    /**
     * One steering door on every family: a LoRA adapter on all seven projections (on qwen2 its q/k/v
     * paths land after the biases, on qwen3 q's is qDim = 128 wide) plus an added vector at
     * attn_heads (qDim wide), through setAdapter and setInterventions, equal the CPU engine's; the
     * device runs both without any host cut.
     */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3"})
    void adapterAndInterventionsRunOnTheDevice(String family) throws IOException {
        try (LoadedModel m = load(family); Parallel par = new Parallel(2)) {
            var c = m.config();
            LoraAdapter adapter = LoraAdapter.initialize(c, 4, 8.0, EnumSet.allOf(LoraTarget.class), 5);
            SplittableRandom r = new SplittableRandom(9);
            for (int l = 0; l < c.nLayers(); l++) {
                for (LoraTarget t : LoraTarget.values()) {
                    Storage b = adapter.b(l, t).data(); // B = 0 after initialize: give it values so the path counts
                    for (int i = 0; i < b.size(); i++) {
                        b.set(i, 0.05 * r.nextGaussian());
                    }
                }
            }
            float[] push = new float[c.qDim()];
            for (int i = 0; i < push.length; i++) {
                push[i] = (float) (0.5 * r.nextGaussian());
            }
            InterventionSet set = InterventionSet.of(AddVector.of(new Site(SiteKind.ATTN_HEADS, 1), push, 2.0, Positions.ALL));
            List<float[]> plain = new ArrayList<>(), expected = new ArrayList<>(), actual = new ArrayList<>();
            try (CpuEngine e = m.newCpuEngine(64, par)) {
                greedy(e, plain);
            }
            int[] cpuTokens, gpuTokens;
            try (CpuEngine e = m.newCpuEngine(64, par)) {
                e.setAdapter(adapter);
                e.setInterventions(set);
                cpuTokens = greedy(e, expected);
            }
            try (TornadoEngine g = TornadoEngine.create(c, m.weights(), 64)) {
                g.setAdapter(adapter);
                g.setInterventions(set);
                assertEquals(1, g.graphsPerToken(), "adapter and added vector are device kernels: no cut");
                gpuTokens = greedy(g, actual);
            }
            assertTrue(maxDiff(plain, expected) > 0.1f, "the adapter and the vector change the logits: " + maxDiff(plain, expected));
            assertArrayEquals(cpuTokens, gpuTokens, family + " steered greedy tokens");
            for (int p = 0; p < TOKENS; p++) {
                assertArrayEquals(expected.get(p), actual.get(p), TOLERANCE, family + " steered logits at position " + p);
            }
        }
    }

    /**
     * Hooks observe where they are registered, and only there is the pass cut: one listener at
     * attn_heads:1 of qwen3 (128 values, wider than the stream) makes 2 graphs, and it sees the
     * CPU engine's values.
     */
    @Test
    void hooksCutThePlanOnlyWhereTheyListen() throws IOException {
        try (LoadedModel m = load("qwen3"); Parallel par = new Parallel(2)) {
            var c = m.config();
            List<float[]> cpuSeen = new ArrayList<>(), gpuSeen = new ArrayList<>();
            List<float[]> expected = new ArrayList<>(), actual = new ArrayList<>();
            try (CpuEngine e = m.newCpuEngine(64, par)) {
                e.setHooks(listener(c.nLayers(), cpuSeen));
                greedy(e, expected);
            }
            try (TornadoEngine g = TornadoEngine.create(c, m.weights(), 64)) {
                g.setHooks(listener(c.nLayers(), gpuSeen));
                assertEquals(2, g.graphsPerToken(), "one listened site: one cut");
                greedy(g, actual);
            }
            assertEquals(TOKENS, gpuSeen.size());
            assertEquals(c.qDim(), gpuSeen.getFirst().length);
            for (int p = 0; p < TOKENS; p++) {
                assertArrayEquals(cpuSeen.get(p), gpuSeen.get(p), TOLERANCE, "attn_heads:1 at position " + p);
                assertArrayEquals(expected.get(p), actual.get(p), TOLERANCE, "logits at position " + p);
            }
        }
    }

    /** Mistral's window is 8: 72 positions go around the device ring 9 times. */
    static final int RING_TOKENS = 72;

    /**
     * The device KV cache of a sliding-window model is a ring of the window (8 rows of kvDim per
     * layer for a context of 128): over the CPU engine's 72 greedy tokens the device gives its logits
     * (and so its greedy tokens, wherever they are not a rounding tie), also
     * across a plan rebuild at position 40 (a hook set mid-sequence: the ring goes to the host and
     * back). Going back to position 71 recomputes it exactly; position 70's window was overwritten,
     * so it is refused and reusable says to start again at 0, which then gives the same logits.
     */
    @Test
    void mistralRingCachePastTheWindow() throws IOException {
        try (LoadedModel m = load("mistral"); Parallel par = new Parallel(2)) {
            var c = m.config();
            int window = c.slidingWindow();
            assertEquals(8, window);
            List<float[]> expected = new ArrayList<>(), actual = new ArrayList<>(), cpuSeen = new ArrayList<>(), gpuSeen = new ArrayList<>();
            int[] tokens;
            try (CpuEngine e = m.newCpuEngine(128, par)) {
                tokens = greedyWithHookFrom(e, expected, cpuSeen, 40);
            }
            try (TornadoEngine g = TornadoEngine.create(c, m.weights(), 128)) {
                assertEquals(128, g.capacity());
                assertEquals(window, g.cacheSlots());
                for (int l = 0; l < c.nLayers(); l++) {
                    assertEquals(window * c.kvDim(), g.cacheFloats(l), "device key cache of layer " + l);
                }
                for (int p = 0; p < RING_TOKENS; p++) {
                    if (p == 40) {
                        g.setHooks(listener(c.nLayers(), gpuSeen));
                    }
                    actual.add(g.forward(tokens[p], p, p == 0).clone());
                }
                g.setHooks(null); // another rebuild; the rest must not add to what the listener saw
                assertEquals(71, g.reusable(71));
                assertArrayEquals(actual.get(71), g.forward(tokens[71], 71, false), TOLERANCE, "position 71 again");
                assertEquals(0, g.reusable(70));
                var refused = assertThrows(IllegalArgumentException.class, () -> g.forward(tokens[70], 70, false));
                assertTrue(refused.getMessage().contains("position 70 reads positions 63..69"), refused.getMessage());
                for (int p = 0; p < 12; p++) {
                    assertArrayEquals(actual.get(p), g.forward(tokens[p], p, p == 0), TOLERANCE, "from 0 again, position " + p);
                }
            }
            float minMargin = Float.MAX_VALUE;
            int ties = 0;
            for (int p = 0; p < RING_TOKENS; p++) {
                assertArrayEquals(expected.get(p), actual.get(p), TOLERANCE, "logits at position " + p);
                minMargin = Math.min(minMargin, margin(expected.get(p)));
                if (p + 1 < RING_TOKENS) {
                    if (margin(expected.get(p)) > 2 * TOLERANCE) {
                        assertEquals(tokens[p + 1], argmax(actual.get(p)), "device greedy token after position " + p);
                    } else {
                        ties++;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "mistral ring: %d positions on a ring of %d, max |logit diff| %.3g, smallest top-2 gap %.3g,"
                    + " %d near-ties%n", RING_TOKENS, window, maxDiff(expected, actual), minMargin, ties);
            assertEquals(RING_TOKENS - 40, gpuSeen.size());
            for (int i = 0; i < gpuSeen.size(); i++) {
                assertArrayEquals(cpuSeen.get(i), gpuSeen.get(i), TOLERANCE, "attn_heads:1 at position " + (40 + i));
            }
        }
    }

    /** {@link #RING_TOKENS} greedy tokens after token 1, with a listener at attn_heads:1 set at position {@code from}. */
    private static int[] greedyWithHookFrom(InferenceEngine e, List<float[]> logits, List<float[]> seen, int from) {
        int[] tokens = new int[RING_TOKENS];
        tokens[0] = 1;
        for (int p = 0; p < RING_TOKENS; p++) {
            if (p == from) {
                e.setHooks(listener(e.config().nLayers(), seen));
            }
            float[] l = e.forward(tokens[p], p, p == 0).clone();
            logits.add(l);
            if (p + 1 < RING_TOKENS) {
                tokens[p + 1] = argmax(l);
            }
        }
        return tokens;
    }

    private static Hooks listener(int layers, List<float[]> seen) {
        return new Hooks(layers).add(new Site(SiteKind.ATTN_HEADS, 1), (site, pos, inPrompt, x) -> seen.add(x.clone()));
    }
}
