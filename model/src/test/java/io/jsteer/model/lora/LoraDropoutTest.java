package io.jsteer.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.TestModels;
import io.jsteer.model.TinyModels;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.NumericGradients;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** LoRA dropout (PEFT lora_dropout): training passes only, seeded masks, exact gradients. */
class LoraDropoutTest {

    private static final EnumSet<LoraTarget> ALL = EnumSet.allOf(LoraTarget.class);

    @Test
    void zeroDropoutIsTodaysPathBitForBit() {
        try (LoadedModel m = TestModels.storiesBin()) {
            LoraAdapter adapter = LoraPathsTest.randomAdapter(m.config(), ALL, 3, 0.2, Precision.F32);
            int[] tokens = TinyModels.tokens(m.config(), 32, 9);
            TrainableLlama model = TrainableLlama.of(m);
            // the vector kernels' reductions round differently before the JIT compiles them: warm up first
            lossAndGradients(model, tokens, ForwardOptions.NONE.withAdapter(adapter), adapter);
            float[][] plain = lossAndGradients(model, tokens, ForwardOptions.NONE.withAdapter(adapter), adapter);
            float[][] seeded = lossAndGradients(model, tokens, ForwardOptions.NONE.withAdapter(adapter).withDropoutSeed(77), adapter);
            for (int i = 0; i < plain.length; i++) {
                assertArrayEquals(plain[i], seeded[i], "entry " + i);
            }
        }
    }

    @Test
    void onlyATrainingPassDropsOutAndItsMasksFollowTheSeed() {
        try (LoadedModel m = TestModels.storiesBin()) {
            LoraAdapter adapter = LoraPathsTest.randomAdapter(m.config(), ALL, 3, 0.2, Precision.F32);
            LoraAdapter dropping = adapter.withDropout(0.3);
            int[] tokens = TinyModels.tokens(m.config(), 32, 9);
            TrainableLlama model = TrainableLlama.of(m);
            // evaluation (no seed) and inference ignore dropout (after a warm-up: the vector kernels'
            // reductions round differently before the JIT compiles them)
            logits(model, tokens, ForwardOptions.NONE.withAdapter(adapter));
            LoraPathsTest.engineLogits(m, adapter, InterventionSet.of(), tokens);
            float[] eval = logits(model, tokens, ForwardOptions.NONE.withAdapter(adapter));
            assertArrayEquals(eval, logits(model, tokens, ForwardOptions.NONE.withAdapter(dropping)));
            float[][] engine = LoraPathsTest.engineLogits(m, adapter, InterventionSet.of(), tokens);
            float[][] engineDropping = LoraPathsTest.engineLogits(m, dropping, InterventionSet.of(), tokens);
            // (the engine's kernels may still be compiled half-way through a run, so not bit for bit; dropout would move logits by > 1e-3)
            assertTrue(LoraPathsTest.maxDiff(engine, engineDropping) < 1e-4);
            assertEquals(0, java.util.Arrays.compare(
                    dropping.mergeInto(m.config(), m.weights()).wq()[2].toFloatArray(),
                    adapter.mergeInto(m.config(), m.weights()).wq()[2].toFloatArray()), "merging ignores dropout");
            // a training pass drops out: same seed, same logits; another seed, other logits
            float[] a = logits(model, tokens, ForwardOptions.NONE.withAdapter(dropping).withDropoutSeed(5));
            float[] b = logits(model, tokens, ForwardOptions.NONE.withAdapter(dropping).withDropoutSeed(5));
            float[] other = logits(model, tokens, ForwardOptions.NONE.withAdapter(dropping).withDropoutSeed(6));
            assertArrayEquals(a, b);
            assertTrue(NumericGradients.maxAbsDiff(a, eval) > 1e-3, "dropout changes a training pass");
            assertTrue(NumericGradients.maxAbsDiff(a, other) > 1e-3, "another seed, another mask");
        }
    }

    @Test
    void masksDifferPerProjectionAndKeepTheirShareWithInvertedScaling() {
        LlamaConfig c = TinyModels.neoxLlama3Config();
        // the side path of one projection sees dropout(x) = mask ⊙ x / (1 − p): compare with x itself
        LoraAdapter adapter = LoraPathsTest.randomAdapter(c, ALL, 2, 0.5, Precision.F64).withDropout(0.25);
        Tape tape = new Tape(Precision.F64);
        int rows = 400;
        double[] ones = new double[rows * c.dim()];
        java.util.Arrays.fill(ones, 1);
        Var x = tape.constant(ones, rows, c.dim());
        Var zero = tape.constant(new double[rows * c.dim()], rows, c.dim());
        Var dq = tape.dropout(x, 0.25, LoraAdapter.maskSeed(9, 1, LoraTarget.Q));
        Var dk = tape.dropout(x, 0.25, LoraAdapter.maskSeed(9, 1, LoraTarget.K));
        int kept = 0, same = 0;
        for (int i = 0; i < ones.length; i++) {
            double v = dq.get(i);
            assertTrue(v == 0 || Math.abs(v - 1 / 0.75) < 1e-12, "kept values are scaled by 1/(1-p): " + v);
            kept += v != 0 ? 1 : 0;
            same += (v != 0) == (dk.get(i) != 0) ? 1 : 0;
        }
        double share = (double) kept / ones.length;
        assertEquals(0.75, share, 5 * Math.sqrt(0.25 * 0.75 / ones.length));
        assertTrue(same < 0.7 * ones.length, "q and k masks are independent (agreement " + same + " of " + ones.length + ")");
        // and the adapter's training path uses exactly that mask for q of block 1
        Var y = adapter.apply(tape, 1, LoraTarget.Q, x, zero, 9L);
        Var expected = tape.scale(tape.linear(tape.linear(dq, adapter.a(1, LoraTarget.Q)), adapter.b(1, LoraTarget.Q)), adapter.scale());
        assertArrayEquals(expected.toDoubleArray(), y.toDoubleArray(), 1e-12);
    }

    @Test
    void gradientsWithAFixedMaskMatchFiniteDifferences() {
        LlamaConfig c = TinyModels.tinyConfig();
        TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 31));
        int[] tokens = TinyModels.tokens(c, 5, 6);
        LoraAdapter adapter = LoraPathsTest.randomAdapter(c, ALL, 12, 0.3, Precision.F64).withDropout(0.3);
        ForwardOptions options = ForwardOptions.NONE.withAdapter(adapter).withDropoutSeed(123);
        double[] seed = new SplittableRandom(3).doubles(5L * c.vocabSize(), -1, 1).toArray();
        Tape tape = new Tape(Precision.F64);
        tape.backward(model.logits(tape, tokens, options), seed);
        for (Var p : adapter.parameters()) {
            double err = GradCheck.relativeError(p.gradToDoubleArray(), NumericGradients.of(model, tokens, options, p, seed));
            assertTrue(err < 1e-6, p + ": relative error " + err);
        }
    }


    private static float[] logits(TrainableLlama model, int[] tokens, ForwardOptions options) {
        return model.logitsNoGrad(new Tape(Precision.F32), tokens, options).toFloatArray();
    }

    /** [0] = the loss, then every parameter's gradient. */
    private static float[][] lossAndGradients(TrainableLlama model, int[] tokens, ForwardOptions options, LoraAdapter adapter) {
        adapter.parameters().forEach(Var::zeroGrad);
        Tape tape = new Tape(Precision.F32);
        int[] targets = new int[tokens.length];
        System.arraycopy(tokens, 1, targets, 0, tokens.length - 1);
        targets[tokens.length - 1] = -1;
        Var loss = tape.crossEntropy(model.logits(tape, tokens, options), targets);
        tape.backward(loss);
        List<Var> params = adapter.parameters();
        float[][] out = new float[1 + params.size()][];
        out[0] = new float[] {(float) loss.item()};
        for (int i = 0; i < params.size(); i++) {
            out[1 + i] = params.get(i).grad().toFloatArray();
        }
        return out;
    }

}
