package io.jsteer.model.intervene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.TestModels;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every intervention kind gives the same logits on the inference path and the trainable path (stories260K). */
class InterventionPathsTest {

    private static LoadedModel model;
    private static int[] tokens;
    private static float[][] plain;

    @BeforeAll
    static void load() {
        model = TestModels.storiesBin();
        SplittableRandom r = new SplittableRandom(5);
        tokens = new int[64];
        tokens[0] = 1;
        for (int i = 1; i < 64; i++) {
            tokens[i] = 3 + r.nextInt(509);
        }
        plain = engineLogits(InterventionSet.of(), null, 64);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static float[] random(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }

    static Var randomVar(long seed, double scale, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Var.constant(Precision.F32, random(seed, n, scale), shape);
    }

    static GatedEdit gatedEdit(Site site) {
        return new GatedEdit(site, randomVar(1, 1.0, 3, 64), randomVar(2, 0.3, 3, 64), randomVar(3, 0.5, 3), 1.0);
    }

    static Stream<Arguments> kinds() {
        return Stream.of(
                Arguments.of("add resid_post:2", InterventionSet.of(
                        AddVector.of(Site.parse("resid_post:2"), random(10, 64, 1), 4.0, Positions.ALL))),
                Arguments.of("add resid_pre:0", InterventionSet.of(
                        AddVector.of(Site.parse("resid_pre:0"), random(11, 64, 1), 2.0, Positions.ALL))),
                Arguments.of("ablate attn_out:1", InterventionSet.of(Ablate.of(Site.parse("attn_out:1"), random(12, 64, 1)))),
                Arguments.of("ablate mlp_out:3", InterventionSet.of(Ablate.of(Site.parse("mlp_out:3"), random(13, 64, 1)))),
                Arguments.of("gated attn_heads:3", InterventionSet.of(gatedEdit(Site.parse("attn_heads:3")))),
                Arguments.of("gated resid_post:1", InterventionSet.of(gatedEdit(Site.parse("resid_post:1")))),
                Arguments.of("composite", InterventionSet.of(
                        Ablate.of(Site.parse("resid_post:2"), random(14, 64, 1)),
                        AddVector.of(Site.parse("resid_post:2"), random(15, 64, 1), 3.0, Positions.ALL),
                        gatedEdit(Site.parse("attn_heads:4")),
                        AddVector.of(Site.parse("mlp_out:0"), random(16, 64, 1), -1.5, Positions.ALL))));
    }

    /** Every position's logits, token by token through the KV cache; the first promptLength tokens fed as prompt. */
    static float[][] engineLogits(InterventionSet set, GateListener gates, int promptLength) {
        float[][] out = new float[tokens.length][];
        try (CpuEngine e = new CpuEngine(model.config(), model.weights(), tokens.length, new Parallel(1))) {
            e.setInterventions(set, gates);
            for (int t = 0; t < tokens.length; t++) {
                out[t] = e.forward(tokens[t], t, t < promptLength).clone();
            }
        }
        return out;
    }

    static Var tapeLogits(InterventionSet set, GateListener gates, int promptLength) {
        LlamaConfig c = model.config();
        return TrainableLlama.of(model).logits(new Tape(Precision.F32), tokens,
                ForwardOptions.NONE.withHooks(set.toTapeHooks(c, gates)).withPromptLength(promptLength));
    }

    static double maxDiff(float[][] a, Var b, int fromRow, int toRow) {
        double max = 0;
        int v = b.cols();
        for (int t = fromRow; t < toRow; t++) {
            for (int j = 0; j < v; j++) {
                max = Math.max(max, Math.abs(a[t][j] - b.get(t * v + j)));
            }
        }
        return max;
    }

    static double maxDiff(float[][] a, float[][] b, int fromRow, int toRow) {
        double max = 0;
        for (int t = fromRow; t < toRow; t++) {
            for (int j = 0; j < a[t].length; j++) {
                max = Math.max(max, Math.abs(a[t][j] - b[t][j]));
            }
        }
        return max;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kinds")
    void bothPathsGiveTheSameLogits(String name, InterventionSet set) {
        float[][] expected = engineLogits(set, null, 64);
        assertTrue(maxDiff(expected, plain, 0, 64) > 0.05, "the intervention changes the logits");
        double diff = maxDiff(expected, tapeLogits(set, null, 64), 0, 64);
        assertTrue(diff < 1e-4, name + ": max |Δlogit| = " + diff);
    }

    @Test
    void gatesAreTheSameOnBothPathsForEveryToken() {
        InterventionSet set = InterventionSet.of(gatedEdit(Site.parse("attn_heads:3")));
        GateRecorder engine = new GateRecorder(), tape = new GateRecorder();
        engineLogits(set, engine, 40);
        tapeLogits(set, tape, 40);
        assertEquals(64, engine.records().size());
        assertEquals(64, tape.records().size());
        for (int t = 0; t < 64; t++) {
            var a = engine.records().get(t);
            var b = tape.records().get(t);
            assertEquals(t, a.position());
            assertEquals(t, b.position());
            assertEquals(t < 40, a.inPrompt());
            assertEquals(t < 40, b.inPrompt());
            for (int k = 0; k < 3; k++) {
                assertEquals(a.gate(k), b.gate(k), 1e-5);
            }
        }
        // the random gates spread over (0, 1): some above one half, some below
        long above = engine.countAbove(0, 0.5);
        assertTrue(above > 0 && above < 64, "gate 0 above 0.5 on " + above + " of 64 tokens");
    }

    @Test
    void captureHooksSeeTheSameActivationsOnBothPaths() {
        // after an upstream edit, so the capture also shows that hooks at a site see the edited stream
        InterventionSet set = InterventionSet.of(AddVector.of(Site.parse("resid_post:0"), random(30, 64, 1), 2.0, Positions.ALL));
        float[][] engineRows = new float[64][];
        // the edit through the steering door, the capture as an observer: they compose (steering first)
        var observer = new Hooks(model.config().nLayers()).add(Site.parse("attn_heads:2"), (s, pos, inPrompt, x) -> engineRows[pos] = x.clone());
        try (CpuEngine e = new CpuEngine(model.config(), model.weights(), 64, new Parallel(1))) {
            e.setHooks(observer);
            e.setInterventions(set);
            e.prefill(tokens, 0);
        }
        Var[] captured = new Var[1];
        TapeHooks tapeHooks = set.toTapeHooks(model.config()).add(Site.parse("attn_heads:2"), (tape, s, x, p) -> captured[0] = x);
        TrainableLlama.of(model).logitsNoGrad(new Tape(Precision.F32), tokens, ForwardOptions.NONE.withHooks(tapeHooks));
        double max = 0;
        for (int t = 0; t < 64; t++) {
            for (int i = 0; i < 64; i++) {
                max = Math.max(max, Math.abs(engineRows[t][i] - captured[0].get(t * 64 + i)));
            }
        }
        assertTrue(max < 1e-5, "max |Δ| = " + max);
    }

    /**
     * Under the KV cache, a prompt of 40 tokens is prefilled (prompt) and the other 24 are fed one
     * at a time as generated tokens: the trainable path with promptLength 40 steers the same rows.
     */
    @Test
    void promptAndGeneratedPositionsUnderTheKvCache() {
        float[] v = random(20, 64, 1);
        int n = 40;
        for (Positions p : List.of(Positions.PROMPT, Positions.GENERATED, Positions.ALL)) {
            InterventionSet set = InterventionSet.of(AddVector.of(Site.parse("resid_post:1"), v, 4.0, p));
            float[][] cached = new float[64][];
            try (Parallel par = new Parallel(2); CpuEngine e = new CpuEngine(model.config(), model.weights(), 64, par)) {
                e.setInterventions(set);
                // batched prefill gives the last prompt row; the rows before it come from a token-by-token run
                float[][] tokenByToken = engineLogits(set, null, n);
                System.arraycopy(tokenByToken, 0, cached, 0, n);
                assertTrue(maxDiff(new float[][] {e.prefill(java.util.Arrays.copyOf(tokens, n), 0)}, new float[][] {cached[n - 1]}, 0, 1) < 1e-5);
                for (int t = n; t < 64; t++) {
                    cached[t] = e.forward(tokens[t], t, false).clone();
                }
            }
            Var tape = tapeLogits(set, null, n);
            double diff = maxDiff(cached, tape, 0, 64);
            assertTrue(diff < 1e-4, p + ": max |Δlogit| = " + diff);
            double promptChange = maxDiff(cached, plain, 0, n), generatedChange = maxDiff(cached, plain, n, 64);
            if (p == Positions.GENERATED) {
                // (not bit-exact: vector reductions may sum in another order once the JIT compiles them)
                assertTrue(promptChange < 1e-4, "prompt rows are not steered: " + promptChange);
                assertTrue(generatedChange > 0.05);
            } else {
                assertTrue(promptChange > 0.05);
                // PROMPT only: generated rows still change, through the steered prompt keys/values in the cache
                assertTrue(generatedChange > 0.05);
            }
        }
        // PROMPT-only generated rows differ from ALL's: the generated tokens themselves are not steered
        float[][] promptOnly = engineLogits(InterventionSet.of(AddVector.of(Site.parse("resid_post:1"), v, 4.0, Positions.PROMPT)), null, n);
        float[][] all = engineLogits(InterventionSet.of(AddVector.of(Site.parse("resid_post:1"), v, 4.0, Positions.ALL)), null, n);
        assertTrue(maxDiff(promptOnly, all, 0, n) < 1e-4);
        assertTrue(maxDiff(promptOnly, all, n, 64) > 0.05);
    }
}
