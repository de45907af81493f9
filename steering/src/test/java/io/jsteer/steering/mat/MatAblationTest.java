package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The ablation switches: the paper's path unchanged when they are off, the ablated maths when on. */
class MatAblationTest {

    private static final Site SITE = Site.parse("attn_heads:2");

    private static double[] gaussian(Random rng, int n, double std) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian() * std;
        }
        return v;
    }

    private static float[] randomRow(Random rng, int d) {
        float[] x = new float[d];
        for (int i = 0; i < d; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    /** A module whose gates are spread (some near 0, some near 1) on unit-Gaussian rows. */
    private static MatParameters module(int d) {
        MatParameters p = MatParameters.initial(List.of("a", "b", "c"), d, 3);
        for (float[] w : p.gateWeight()) {
            for (int i = 0; i < d; i++) {
                w[i] *= 8;
            }
        }
        return p;
    }

    @Test
    void unnormalisedEditIsTheGatedSumByHand() {
        Tape tape = new Tape(Precision.F64);
        MatLoss.Params p = new MatLoss.Params(tape.constant(new double[] {1, 0, 0, 2}, 2, 2),
                tape.constant(new double[] {1, 0, 0, 1}, 2, 2), tape.constant(new double[] {0, -1}, 2));
        Var a = tape.constant(new double[] {1, 1}, 1, 2);
        var e = MatLoss.unnormalisedEdit(tape, p, a).output();
        double g1 = 1 / (1 + Math.exp(-1)), g2 = 0.5;
        assertEquals(1 + g1, e.get(0), 1e-12);
        assertEquals(1 + 2 * g2, e.get(1), 1e-12);
        // the normalised edit of the same row keeps ‖a‖ = √2; the unnormalised one does not
        var n = MatLoss.edit(tape, p, a).output();
        assertEquals(Math.sqrt(2), Math.hypot(n.get(0), n.get(1)), 1e-7); // ‖a‖/(‖a′‖ + 1e-8)
        assertTrue(Math.hypot(e.get(0), e.get(1)) > 2.5);
    }

    @Test
    void lossWithoutNormalisationMatchesFiniteDifferences() {
        int t = 2, d = 3, k = 2;
        Random rng = new Random(17);
        double[] pos = gaussian(rng, t * k * d, 1), neg = gaussian(rng, t * k * d, 1);
        double[] y0 = gaussian(rng, k * d, 1), y1 = gaussian(rng, k * d, 1);
        GradCheck.Graph loss = (tp, in) -> MatLoss.compute(tp, new MatLoss.Params(in.get(0), in.get(1), in.get(2)),
                new MatLoss.Batch(tp.constant(pos, t * k, d), tp.constant(neg, t * k, d),
                        new Var[] {tp.constant(y0, k, d), tp.constant(y1, k, d)}), MatLoss.Weights.QA, 2, false).total();
        GradCheck.Result r = GradCheck.check(loss, List.of(
                GradCheck.Input.of(gaussian(rng, t * d, 1), t, d),
                GradCheck.Input.of(gaussian(rng, t * d, 0.5), t, d),
                GradCheck.Input.of(gaussian(rng, t, 0.5), t)));
        assertTrue(r.maxGradientError() < 1e-6, r::toString);
    }

    private static List<AttributeFeatures> planted(int d) {
        Random rng = new Random(5);
        List<AttributeFeatures> out = new ArrayList<>();
        for (String name : List.of("x", "y")) {
            float[][] pos = new float[24][], neg = new float[24][];
            for (int i = 0; i < 24; i++) {
                pos[i] = randomRow(rng, d);
                neg[i] = randomRow(rng, d);
                neg[i][name.equals("x") ? 0 : 1] += 3;
            }
            out.add(new AttributeFeatures(name, pos, neg));
        }
        return out;
    }

    @Test
    void normPreservationOnIsBitForBitTheDefaultTraining() {
        List<AttributeFeatures> f = planted(8);
        TrainConfig paper = TrainConfig.defaults().withEpochs(3);
        MatParameters a = new MatTrainer(paper, null, false).train(f).parameters();
        MatParameters b = new MatTrainer(paper.withNormPreserve(true), null, false).train(f).parameters();
        MatParameters c = new MatTrainer(paper.withNormPreserve(false), null, false).train(f).parameters();
        for (int t = 0; t < 2; t++) {
            assertArrayEquals(a.theta()[t], b.theta()[t]);
            assertArrayEquals(a.gateWeight()[t], b.gateWeight()[t]);
        }
        assertFalse(java.util.Arrays.equals(a.theta()[0], c.theta()[0]), "switching normalisation off must change training");
    }

    @Test
    void table3VariantsSwitchOffExactlyTheirTerms() {
        TrainConfig full = TrainConfig.defaults();
        Map<String, double[]> expected = Map.of(
                "alignment only", new double[] {1, 0, 0, 0}, "alignment + pos", new double[] {1, 0.9, 0, 0},
                "alignment + sparse", new double[] {1, 0, 0.9, 0}, "alignment + ortho", new double[] {1, 0, 0, 0.1},
                "full - pos", new double[] {1, 0, 0.9, 0.1}, "full - sparse", new double[] {1, 0.9, 0, 0.1},
                "full - ortho", new double[] {1, 0.9, 0.9, 0}, "full - normalisation", new double[] {1, 0.9, 0.9, 0.1},
                "full", new double[] {1, 0.9, 0.9, 0.1});
        List<MatAblation.LossVariant> rows = MatAblation.table3();
        assertEquals(expected.size(), rows.size());
        for (MatAblation.LossVariant v : rows) {
            TrainConfig c = v.change().apply(full);
            MatLoss.Weights w = c.weights();
            assertArrayEquals(expected.get(v.name()), new double[] {w.mmd(), w.pos(), w.sparse(), w.ortho()}, 0, v.name());
            assertEquals(!v.name().equals("full - normalisation"), c.normPreserve(), v.name());
        }
    }

    private static LlamaConfig config(int d) {
        return new LlamaConfig(d, 4 * d, 4, 4, 4, 32, 64, 1e-5f, 10000f, io.jsteer.model.RopeStyle.parse("normal"), null, true);
    }

    @Test
    void gatedNormPreservedHookIsTheSharedGatedEdit() {
        int d = 16;
        MatParameters p = module(d);
        ActivationHook shared = p.toGatedEdit(SITE).toHook(null);
        ActivationHook ours = MatApplication.PAPER.hook(p, 5, 0, null);
        Random rng = new Random(9);
        for (int k = 0; k < 50; k++) {
            float[] x = randomRow(rng, d), y = x.clone();
            shared.apply(SITE, k, true, x);
            ours.apply(SITE, k, true, y);
            assertArrayEquals(x, y);
        }
    }

    @Test
    void withoutNormalisationTheHookAddsTheGatedSum() {
        int d = 16;
        MatParameters p = module(d);
        MatApplication noNorm = new MatApplication(MatApplication.Selection.GATED, false, 0.5, 0);
        float[] x = randomRow(new Random(2), d), edited = x.clone();
        noNorm.hook(p, 0, 0, null).apply(SITE, 3, true, edited);
        double[] g = new double[3];
        p.gates(x, g);
        for (int i = 0; i < d; i++) {
            double want = x[i] + g[0] * p.theta()[0][i] + g[1] * p.theta()[1][i] + g[2] * p.theta()[2][i];
            assertEquals(want, edited[i], 1e-5);
        }
    }

    @Test
    void fixedSelectionsEditTheirTokensWithUnitGates() {
        int d = 8, promptTokens = 6;
        MatParameters p = module(d);
        Random rng = new Random(4);
        float[] x = randomRow(rng, d);
        // g ≡ 1: a + Σθ rescaled to ‖a‖
        double[] sum = new double[d];
        double n0 = 0, n1 = 0;
        for (int i = 0; i < d; i++) {
            sum[i] = x[i] + p.theta()[0][i] + p.theta()[1][i] + p.theta()[2][i];
            n0 += x[i] * (double) x[i];
            n1 += sum[i] * sum[i];
        }
        for (int position = 0; position < 10; position++) {
            for (MatApplication.Selection s : List.of(MatApplication.Selection.ALL, MatApplication.Selection.LAST)) {
                float[] y = x.clone();
                MatApplication.PAPER.withSelection(s).hook(p, promptTokens, 1, null).apply(SITE, position, true, y);
                boolean edited = s == MatApplication.Selection.ALL || position == promptTokens - 1;
                for (int i = 0; i < d; i++) {
                    assertEquals(edited ? sum[i] * Math.sqrt(n0 / n1) : x[i], y[i], 1e-5, s + " at " + position);
                }
            }
        }
        // RANDOM: about half of the tokens, the same ones on every pass and for every choice of an item
        MatApplication random = MatApplication.PAPER.withSelection(MatApplication.Selection.RANDOM);
        int picked = 0, n = 20000;
        for (int position = 0; position < n; position++) {
            boolean s = random.selected(position, promptTokens, 77);
            assertEquals(s, random.selected(position, promptTokens, 77));
            picked += s ? 1 : 0;
        }
        assertEquals(0.5, picked / (double) n, 0.02);
        // another item draws other tokens
        int differ = 0;
        for (int position = 0; position < 200; position++) {
            differ += random.selected(position, promptTokens, 77) != random.selected(position, promptTokens, 78) ? 1 : 0;
        }
        assertTrue(differ > 60, "items 77 and 78 differ at " + differ + " of 200 tokens");
    }

    @Test
    void applicationValidatesAgainstTheModelAndAblatedModulesRefuseTheSharedEdit() {
        MatParameters p = module(16);
        MatApplication noNorm = new MatApplication(MatApplication.Selection.GATED, false, 0.5, 0);
        var e = assertThrows(IllegalArgumentException.class, () -> noNorm.interventions(p, SITE, config(32), 4, 0));
        assertTrue(e.getMessage().contains("16") || e.getMessage().contains("32"), e.getMessage());
        assertFalse(noNorm.interventions(p, SITE, config(16), 4, 0).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> MatApplication.Selection.parse("first"));
        assertThrows(IllegalArgumentException.class, () -> new MatApplication(MatApplication.Selection.RANDOM, true, 0, 0));
        // the paper's application compiles to the shared kind (the path run/serve use)
        assertFalse(MatApplication.PAPER.interventions(p, SITE, config(16), 4, 0).isEmpty());
        assertEquals(1, InterventionSet.of(p.toGatedEdit(SITE)).items().size());
    }
}
