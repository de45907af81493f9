package io.jsteer.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.Sampler;
import io.jsteer.model.TestModels;
import io.jsteer.model.TinyModels;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrainableLlamaTest {

    /** A 64-token sequence of real text: BOS and stories260K's own greedy continuation, then a few fixed ids. */
    static int[] prompt64(LoadedModel m) {
        try (Parallel par = new Parallel(1); CpuEngine e = m.newCpuEngine(64, par)) {
            GenerationResult r = new Generator(e).generate(new int[] {1}, 55, Sampler.greedy(), t -> false, (a, b) -> {});
            int[] tokens = java.util.Arrays.copyOf(r.tokens(), 64);
            for (int i = r.tokens().length; i < 64; i++) {
                tokens[i] = 300 + 7 * i % 200;
            }
            return tokens;
        }
    }

    /** Logits of every position from the inference path, one token at a time through the KV cache. */
    static float[][] engineLogits(LlamaConfig c, LlamaWeights w, int[] tokens) {
        float[][] out = new float[tokens.length][];
        try (CpuEngine e = new CpuEngine(c, w, tokens.length, new Parallel(1))) {
            for (int t = 0; t < tokens.length; t++) {
                out[t] = e.forward(tokens[t], t, true).clone();
            }
        }
        return out;
    }

    static double maxDiff(float[][] expected, Var logits) {
        int v = logits.cols();
        double max = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int j = 0; j < v; j++) {
                max = Math.max(max, Math.abs(expected[t][j] - logits.get(t * v + j)));
            }
        }
        return max;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bin", "gguf"})
    void logitsEqualTheInferencePathAtEveryPosition(String format) {
        Supplier<LoadedModel> source = format.equals("bin") ? TestModels::storiesBin : TestModels::storiesGguf;
        try (LoadedModel m = source.get(); Parallel par = new Parallel(2)) {
            int[] tokens = prompt64(m);
            float[][] expected = engineLogits(m.config(), m.weights(), tokens);
            TrainableLlama model = TrainableLlama.of(m);
            for (Precision p : Precision.values()) {
                Tape tape = new Tape(p, par);
                Var logits = model.logits(tape, tokens);
                assertEquals(64, logits.dim(0));
                assertEquals(512, logits.dim(1));
                double diff = maxDiff(expected, logits);
                assertTrue(diff < 1e-4, p + ": max |Δlogit| = " + diff);
                assertEquals(0, tape.recordedOps(), "nothing trainable, nothing recorded");
            }
            // batched prefill's last logits too
            try (CpuEngine e = m.newCpuEngine(64, par)) {
                float[] last = e.prefill(tokens, 0);
                Var logits = model.logitsNoGrad(new Tape(Precision.F32), tokens, ForwardOptions.NONE);
                for (int j = 0; j < 512; j++) {
                    assertEquals(last[j], logits.get(63 * 512 + j), 1e-4);
                }
            }
        }
    }

    /**
     * KTS trains LoRA on frozen quantized weights: the trainable path reads every GGUF type. It
     * multiplies float activations with the dequantized weights while the engine quantizes its
     * activations to 8 bits (one scale per 256 values for K-quants, as llama.cpp: a rounding of
     * about 0.7 % of each value), so the two agree to that rounding: measured max |Δlogit| over 24
     * positions × 512 logits of magnitude up to ~1 (2026-12-03): Q4_K_M 1.6e-2, Q6_K 2.0e-2,
     * Q3_K_M 1.8e-2, IQ4_XS 1.8e-2, Q5_1 1.7e-2.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q6_K", "Q3_K_M", "IQ4_XS", "Q5_1"})
    void quantizedWeightsGiveTheEngineLogitsToActivationRounding(String type) throws Exception {
        java.nio.file.Path file = java.nio.file.Path.of(getClass().getResource("/quant/q256-" + type + ".gguf").toURI());
        try (LoadedModel m = io.jsteer.model.ModelLoader.load(file, null); Parallel par = new Parallel(2)) {
            int[] tokens = new int[24];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (int) ((i * 7919L + 1) % 512);
            }
            float[][] expected = engineLogits(m.config(), m.weights(), tokens);
            Var logits = TrainableLlama.of(m).logits(new Tape(Precision.F32, par), tokens);
            double diff = maxDiff(expected, logits);
            assertTrue(diff < 4e-2, type + ": max |Δlogit| = " + diff);
            assertTrue(diff > 1e-7, type + ": the engine's 8-bit activations must show (or the integer path is not used)");
        }
    }

    @Test
    void neoxRopeWithLlama3ScalingUntiedClassifierAndGqaMatchTheEngine() {
        LlamaConfig c = TinyModels.neoxLlama3Config();
        LlamaWeights w = TinyModels.randomWeights(c, 7);
        int[] tokens = TinyModels.tokens(c, 60, 3);
        float[][] expected = engineLogits(c, w, tokens);
        Var logits = new TrainableLlama(c, w).logits(new Tape(Precision.F64), tokens);
        double diff = maxDiff(expected, logits);
        assertTrue(diff < 1e-4, "max |Δlogit| = " + diff);
        // the logits vary (a wrong rope frequency band would not go unnoticed): positions differ by more than the tolerance
        assertTrue(Math.abs(logits.get(0) - logits.get(59 * c.vocabSize())) > 1e-2);
    }

    @Test
    void badInputIsRejectedWithTheReason() {
        LlamaConfig c = TinyModels.tinyConfig();
        TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 1));
        Tape tape = new Tape(Precision.F32);
        var e = assertThrows(IllegalArgumentException.class, () -> model.logits(tape, new int[] {1, 11}));
        assertTrue(e.getMessage().contains("token id 11 at index 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.logits(tape, new int[0]));
        e = assertThrows(IllegalArgumentException.class, () -> model.logits(tape, new int[33]));
        assertTrue(e.getMessage().contains("context of 32"), e.getMessage());
        assertFalse(tape.recordedOps() > 0);
    }
}
