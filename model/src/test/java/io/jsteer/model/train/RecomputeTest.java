package io.jsteer.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.TestModels;
import io.jsteer.model.TinyModels;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.intervene.TapeHooks;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraSpec;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Activation recomputation per block ({@link ForwardOptions#recompute}): the same loss and
 * gradients as keeping every activation, with LoRA (dropout on), trainable steering hooks and
 * grouped-query attention, for far fewer recorded ops.
 */
class RecomputeTest {

    /** LoRA on blocks 0 and 1 with random B and dropout, a trainable steering vector at resid_post:1, a scale at attn_out:0. */
    private record Setup(LoraAdapter adapter, Var steer, Var attnScale, TapeHooks hooks) {
        List<Var> params() {
            List<Var> out = new ArrayList<>(adapter.parameters());
            out.add(steer);
            out.add(attnScale);
            return out;
        }
    }

    private static Setup setup(LlamaConfig c, Precision p, long seed) {
        LoraAdapter adapter = LoraAdapter.initialize(c, LoraSpec.of(4, 8, EnumSet.allOf(LoraTarget.class))
                .withLayers(List.of(0, 1)).withDropout(0.2), seed, p);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int l : adapter.adaptedLayers()) {
            for (LoraTarget t : adapter.targets()) {
                Var b = adapter.b(l, t);
                for (int i = 0; i < b.size(); i++) {
                    b.data().set(i, r.nextGaussian() * 0.2);
                }
            }
        }
        Var steer = Var.param(p, r.doubles(c.dim(), -0.5, 0.5).toArray(), c.dim());
        Var attnScale = Var.param(p, r.doubles(c.dim(), 0.5, 1.5).toArray(), c.dim());
        TapeHooks hooks = new TapeHooks(c.nLayers())
                .add(new Site(SiteKind.RESID_POST, 1), (t, site, x, pl) -> t.add(x, steer))    // [T, dim] + [dim]
                .add(new Site(SiteKind.ATTN_OUT, 0), (t, site, x, pl) -> t.mul(x, attnScale)); // [T, dim] ⊙ [dim]
        return new Setup(adapter, steer, attnScale, hooks);
    }

    /** Cross-entropy of the next token; returns the loss and leaves the gradients in the parameters. */
    private static double lossAndBackward(TrainableLlama model, int[] tokens, Setup s, boolean recompute, Precision p,
                                          Parallel par, int[] recordedOps) {
        Tape tape = new Tape(p, par);
        ForwardOptions options = ForwardOptions.NONE.withAdapter(s.adapter()).withHooks(s.hooks()).withDropoutSeed(41)
                .withRecompute(recompute);
        int[] targets = new int[tokens.length];
        System.arraycopy(tokens, 1, targets, 0, tokens.length - 1);
        targets[tokens.length - 1] = -1;
        Var loss = tape.crossEntropy(model.logits(tape, tokens, options), targets);
        recordedOps[0] = tape.recordedOps();
        tape.backward(loss);
        return loss.item();
    }

    private static void assertSameGradients(TrainableLlama model, int[] tokens, Precision p, Parallel par, double tolerance,
                                            int[] opsPlainAndRecomputed) {
        Setup plain = setup(model.config(), p, 5), recomputed = setup(model.config(), p, 5);
        int[] ops = new int[1];
        double l1 = lossAndBackward(model, tokens, plain, false, p, par, ops);
        opsPlainAndRecomputed[0] = ops[0];
        double l2 = lossAndBackward(model, tokens, recomputed, true, p, par, ops);
        opsPlainAndRecomputed[1] = ops[0];
        assertEquals(l1, l2, 0, "the forward pass is the same computation");
        List<Var> a = plain.params(), b = recomputed.params();
        for (int i = 0; i < a.size(); i++) {
            double[] ga = a.get(i).gradToDoubleArray(), gb = b.get(i).gradToDoubleArray();
            double err = GradCheck.relativeError(ga, gb);
            assertTrue(err < tolerance, p + " " + a.get(i) + ": relative difference " + err);
            assertTrue(java.util.Arrays.stream(ga).anyMatch(g -> g != 0), a.get(i) + " gets a gradient");
        }
    }

    @Test
    void sameGradientsOnStories260KInFloat32() {
        try (LoadedModel m = TestModels.storiesBin(); Parallel par = new Parallel(2)) {
            int[] tokens = TinyModels.tokens(m.config(), 48, 3);
            tokens[0] = 1;
            int[] ops = new int[2];
            assertSameGradients(TrainableLlama.of(m), tokens, Precision.F32, par, 1e-5, ops);
            // one checkpoint per block instead of every block op; the head (norm, classifier, loss) is kept as it is
            assertEquals(m.config().nLayers() + 3, ops[1]);
            assertTrue(ops[0] > 20 * m.config().nLayers(), "without recomputation every op is kept: " + ops[0]);
        }
    }

    @Test
    void sameGradientsOnATinyGqaModelInFloat64() {
        LlamaConfig c = TinyModels.neoxLlama3Config(); // 4 query heads over 2 KV heads, NeoX RoPE with Llama 3 scaling
        TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 8));
        int[] ops = new int[2];
        assertSameGradients(model, TinyModels.tokens(c, 12, 4), Precision.F64, null, 1e-9, ops);
        assertEquals(c.nLayers() + 3, ops[1]);
    }

    @Test
    void recomputedGradientsMatchFiniteDifferences() {
        LlamaConfig c = TinyModels.tinyConfig();
        TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 31));
        int[] tokens = TinyModels.tokens(c, 5, 6);
        Setup s = setup(c, Precision.F64, 12);
        ForwardOptions options = ForwardOptions.NONE.withAdapter(s.adapter()).withHooks(s.hooks()).withDropoutSeed(7)
                .withRecompute(true);
        double[] seed = new SplittableRandom(3).doubles(5L * c.vocabSize(), -1, 1).toArray();
        Tape tape = new Tape(Precision.F64);
        tape.backward(model.logits(tape, tokens, options), seed);
        for (Var p : s.params()) {
            double[] numeric = NumericGradients.of(model, tokens, options, p, seed);
            double err = GradCheck.relativeError(p.gradToDoubleArray(), numeric);
            assertTrue(err < 1e-6, p + ": relative error " + err);
        }
    }

}
