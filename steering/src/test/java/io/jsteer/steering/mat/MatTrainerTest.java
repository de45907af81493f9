package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Training on synthetic features with planted directions, determinism and the σ risk. */
class MatTrainerTest {

    static final int D = 16;

    /**
     * Attribute t: positives around 4·e_{2t}; negatives the same points rotated by {@code angle}
     * toward e_{2t+1} (a known direction per attribute, norms kept), Gaussian noise 0.3.
     */
    static List<AttributeFeatures> planted(int n, double angle, long seed) {
        Random rng = new Random(seed);
        AttributeFeatures[] out = new AttributeFeatures[2];
        for (int t = 0; t < 2; t++) {
            float[][] pos = new float[n][D], neg = new float[n][D];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < D; j++) {
                    pos[i][j] = (float) ((j == 2 * t ? 4 : 0) + 0.3 * rng.nextGaussian());
                    neg[i][j] = (float) ((j == 2 * t ? 4 * Math.cos(angle) : 0) + (j == 2 * t + 1 ? 4 * Math.sin(angle) : 0)
                            + 0.3 * rng.nextGaussian());
                }
            }
            out[t] = new AttributeFeatures("attr" + t, pos, neg);
        }
        return List.of(out);
    }

    static double meanGate(MatParameters p, float[][] rows, int attribute) {
        double s = 0;
        double[] g = new double[p.attributeCount()];
        for (float[] r : rows) {
            p.gates(r, g);
            s += g[attribute];
        }
        return s / rows.length;
    }

    @Test
    void learnsGatesHighOnNegativesLowOnPositivesAndLowersTheMmd() {
        List<AttributeFeatures> data = planted(64, Math.PI / 4, 1);
        TrainConfig cfg = new TrainConfig(MatLoss.Weights.QA, Bandwidth.PAPER, 32, 150, 1e-2, 7);
        MatTrainer.Result r = new MatTrainer(cfg, null, false).train(data);
        assertEquals(8, r.k());             // min(⌊32/4⌋, 64)
        assertEquals(8, r.stepsPerEpoch()); // ⌈64/8⌉
        MatParameters p = r.parameters();
        for (int t = 0; t < 2; t++) {
            double onNeg = meanGate(p, data.get(t).negatives(), t), onPos = meanGate(p, data.get(t).positives(), t);
            System.err.printf("attr%d: gate on negatives %.3f, on positives %.3f, on other negatives %.3f%n", t, onNeg, onPos,
                    meanGate(p, data.get(1 - t).negatives(), t));
            // only the MMD term pushes gates up, so they settle where g·‖θ‖ undoes the rotation (≈ 0.3–0.4 here)
            assertTrue(onNeg > 0.25, "gate on negatives " + onNeg);
            assertTrue(onPos < onNeg / 5, "gate on positives " + onPos);
            assertTrue(meanGate(p, data.get(1 - t).negatives(), t) < 0.05, "gate on the other attribute's negatives");
        }
        System.err.println("before " + r.before() + "\nafter  " + r.after());
        assertTrue(r.after().mmd() < 0.2 * r.before().mmd(), r.before() + " → " + r.after());
        assertTrue(r.after().total() < r.before().total());

        // against the ungated sum of the per-attribute mean-difference vectors, added to every row:
        // MAT brings each attribute's negatives closer to its positives and moves positives (neutral) less
        float[] sum = new float[D];
        for (AttributeFeatures f : data) {
            float[] v = f.meanDifference();
            for (int j = 0; j < D; j++) {
                sum[j] += v[j];
            }
        }
        for (int t = 0; t < 2; t++) {
            AttributeFeatures f = data.get(t);
            double matMmd = mmd(editAll(f.negatives(), p, null), f.positives());
            double sumMmd = mmd(editAll(f.negatives(), null, sum), f.positives());
            double matShift = meanShift(f.positives(), editAll(f.positives(), p, null));
            double sumShift = meanShift(f.positives(), editAll(f.positives(), null, sum));
            System.err.printf("attr%d: MMD² after MAT %.4f, after ungated sum %.4f; shift of positives %.4f vs %.4f%n",
                    t, matMmd, sumMmd, matShift, sumShift);
            assertTrue(matMmd < sumMmd, "MMD " + matMmd + " vs " + sumMmd);
            assertTrue(matShift < sumShift / 4, "shift " + matShift + " vs " + sumShift);
        }
    }

    /** Rows edited by MAT (when {@code p} is given) or with {@code add} added. */
    static float[][] editAll(float[][] rows, MatParameters p, float[] add) {
        float[][] out = new float[rows.length][];
        var edit = p == null ? null : p.toGatedEdit(io.jsteer.model.intervene.Site.parse("resid_post:0")).toHook(null);
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i].clone();
            if (p != null) {
                edit.apply(null, i, true, out[i]);
            } else {
                for (int j = 0; j < add.length; j++) {
                    out[i][j] += add[j];
                }
            }
        }
        return out;
    }

    static double mmd(float[][] x, float[][] y) {
        var tape = new io.jsteer.tensor.autograd.Tape(io.jsteer.tensor.autograd.Precision.F64);
        return tape.mmdSquared(tape.constant(MatTrainer.flatten(x), x.length, D), tape.constant(MatTrainer.flatten(y), y.length, D), 2).item();
    }

    static double meanShift(float[][] a, float[][] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d2 = 0;
            for (int j = 0; j < D; j++) {
                d2 += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j]);
            }
            s += Math.sqrt(d2) / a.length;
        }
        return s;
    }

    @Test
    void lossIsSymmetricInTheAttributesSoOnlyTheStartTiesAGateToItsAttribute() {
        // the code's loss penalises every gate on every row and edits each attribute's negatives with
        // the whole module, so swapping the attributes' parameters leaves it unchanged: which gate
        // serves which attribute is decided by the start alone
        List<AttributeFeatures> data = planted(16, Math.PI / 4, 4);
        MatParameters p = MatParameters.initial(List.of("attr0", "attr1"), D, 3);
        MatParameters swapped = new MatParameters(p.attributes(), new float[][] {p.theta()[1], p.theta()[0]},
                new float[][] {p.gateWeight()[1], p.gateWeight()[0]}, new float[] {p.gateBias()[1], p.gateBias()[0]});
        var tape = new io.jsteer.tensor.autograd.Tape(io.jsteer.tensor.autograd.Precision.F64);
        MatLoss.Batch batch = MatTrainer.batch(tape, data, new BalancedSampler(data, 16, 2).next());
        double a = MatLoss.compute(tape, constants(tape, p), batch, MatLoss.Weights.QA, 2).total().item();
        double b = MatLoss.compute(tape, constants(tape, swapped), batch, MatLoss.Weights.QA, 2).total().item();
        assertEquals(a, b, 1e-12 * Math.abs(a));
        assertTrue(Math.abs(a - MatLoss.compute(tape, constants(tape, MatParameters.initial(p.attributes(), D, 4)), batch,
                MatLoss.Weights.QA, 2).total().item()) > 1e-6, "the loss does depend on the parameters");
    }

    static MatLoss.Params constants(io.jsteer.tensor.autograd.Tape tape, MatParameters p) {
        return new MatLoss.Params(tape.constant(MatTrainer.flatten(p.theta()), p.attributeCount(), p.dim()),
                tape.constant(MatTrainer.flatten(p.gateWeight()), p.attributeCount(), p.dim()), tape.constant(p.gateBias(), p.attributeCount()));
    }

    @Test
    void caaStartAndHeldNormGiveEachAttributeItsOwnGate() {
        List<AttributeFeatures> data = planted(64, Math.PI / 4, 1);
        for (long seed = 1; seed <= 3; seed++) {
            TrainConfig cfg = new TrainConfig(MatLoss.Weights.QA, Bandwidth.PAPER, 32, 60, 1e-2, seed, 2.5,
                    TrainConfig.ThetaInit.CAA);
            MatParameters p = new MatTrainer(cfg, null, false).train(data).parameters();
            for (int t = 0; t < 2; t++) {
                double norm = 0, cos = 0;
                float[] caa = data.get(t).meanDifference();
                double caaNorm = 0;
                for (int j = 0; j < D; j++) {
                    norm += p.theta()[t][j] * (double) p.theta()[t][j];
                    cos += p.theta()[t][j] * (double) caa[j];
                    caaNorm += caa[j] * (double) caa[j];
                }
                assertEquals(2.5, Math.sqrt(norm), 1e-4, "theta " + t + " held at its norm");
                cos /= Math.sqrt(norm * caaNorm);
                double own = meanGate(p, data.get(t).negatives(), t), other = meanGate(p, data.get(t).negatives(), 1 - t);
                System.err.printf("seed %d attr%d: own gate on its negatives %.3f, other gate %.3f, on positives %.3f, cos(theta, caa) %.3f%n",
                        seed, t, own, other, meanGate(p, data.get(t).positives(), t), cos);
                assertTrue(own > 0.5, "own gate " + own);
                assertTrue(other < own / 5, "other gate " + other + " vs own " + own);
                assertTrue(meanGate(p, data.get(t).positives(), t) < own / 5);
                assertTrue(cos > 0.8, "theta stays on the attribute's direction: cos " + cos);
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.ThetaInit.parse("zeros"));
        assertTrue(e.getMessage().contains("--theta-init"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.defaults().withThetaNorm(-1));
    }

    @Test
    void trainingIsDeterministicForASeed() {
        List<AttributeFeatures> data = planted(24, 3, 2);
        TrainConfig cfg = new TrainConfig(MatLoss.Weights.QA, Bandwidth.PAPER, 16, 3, 1e-3, 9);
        MatParameters a = new MatTrainer(cfg, null, false).train(data).parameters();
        MatParameters b = new MatTrainer(cfg, null, false).train(data).parameters();
        MatParameters c = new MatTrainer(cfg.withSeed(10), null, false).train(data).parameters();
        assertArrayEquals(a.theta()[1], b.theta()[1]);
        assertArrayEquals(a.gateBias(), b.gateBias());
        assertTrue(a.gateBias()[0] != c.gateBias()[0]);
    }

    @Test
    void flatKernelIsReportedAndTheMedianHeuristicRestoresTheGradient() {
        // features 100× larger: ‖x−y‖² ≫ 8, so with σ = 2 every cross kernel value is 0 (spec §6)
        List<AttributeFeatures> data = planted(32, 3, 3).stream().map(a -> new AttributeFeatures(a.name(),
                scaled(a.positives(), 100), scaled(a.negatives(), 100))).toList();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainConfig cfg = new TrainConfig(MatLoss.Weights.QA, Bandwidth.PAPER, 32, 1, 1e-3, 1);
        MatTrainer.Result flat = new MatTrainer(cfg, new PrintStream(log, true, StandardCharsets.UTF_8), false).train(data);
        assertTrue(flat.kernelIsFlat());
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("MMD term is flat"), log.toString(StandardCharsets.UTF_8));
        // the MMD of two far sets of k points each sits at 2/k (only the diagonals count)
        assertEquals(2.0 / flat.k(), flat.before().mmd(), 1e-3);
        assertEquals(flat.medianDistance(), Bandwidth.medianPairwiseDistance(data, 1), 0);

        MatTrainer.Result median = new MatTrainer(cfg.withBandwidth(Bandwidth.medianHeuristic()), null, false).train(data);
        assertEquals(median.medianDistance(), median.sigma(), 0);
        assertEquals(Math.exp(-0.5), median.kernelAtMedian(), 1e-12);
        assertTrue(!median.kernelIsFlat());
        // the MMD gradient w.r.t. θ: practically 0 with σ = 2, clearly not with the median σ
        double gFlat = mmdGradientNorm(data, flat.sigma()), gMedian = mmdGradientNorm(data, median.sigma());
        assertTrue(gFlat < 1e-12, "flat " + gFlat);
        assertTrue(gMedian > 1e-4, "median " + gMedian);
    }

    @Test
    void medianDistanceOfKnownPoints() {
        // points 0, 1, 3 on a line: distances 1, 2, 3 → median 2
        AttributeFeatures a = new AttributeFeatures("x", new float[][] {{0}, {1}}, new float[][] {{3}});
        assertEquals(2, Bandwidth.medianPairwiseDistance(List.of(a), 0), 0);
    }

    @Test
    void badSettingsNameTheParameter() {
        assertThrows(IllegalArgumentException.class, () -> Bandwidth.parse("wide"));
        var e = assertThrows(IllegalArgumentException.class, () -> new BalancedSampler(planted(4, 1, 1), 3, 0));
        assertTrue(e.getMessage().contains("batch size 3"), e.getMessage());
    }

    /** ‖∂MMD/∂θ‖ at the initial parameters on one balanced draw (float64). */
    static double mmdGradientNorm(List<AttributeFeatures> data, double sigma) {
        io.jsteer.tensor.autograd.Tape tape = new io.jsteer.tensor.autograd.Tape(io.jsteer.tensor.autograd.Precision.F64);
        MatParameters p = MatParameters.initial(data.stream().map(AttributeFeatures::name).toList(), data.getFirst().dim(), 1);
        int t = p.attributeCount(), d = p.dim();
        var theta = io.jsteer.tensor.autograd.Var.param(io.jsteer.tensor.autograd.Precision.F64, MatTrainer.flatten(p.theta()), t, d);
        MatLoss.Params params = new MatLoss.Params(theta, tape.constant(MatTrainer.flatten(p.gateWeight()), t, d),
                tape.constant(p.gateBias(), t));
        MatLoss.Batch batch = MatTrainer.batch(tape, data, new BalancedSampler(data, 32, 5).next());
        tape.backward(MatLoss.compute(tape, params, batch, MatLoss.Weights.QA, sigma).mmd());
        double s = 0;
        for (double g : theta.gradToDoubleArray()) {
            s += g * g;
        }
        return Math.sqrt(s);
    }

    static float[][] scaled(float[][] rows, float c) {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = rows[i].clone();
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] *= c;
            }
        }
        return out;
    }
}
