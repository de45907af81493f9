package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The loss terms against hand computations (spec §7) and the full loss against finite differences. */
class MatLossTest {

    private final Tape tape = new Tape(Precision.F64);

    /** The spec §7 module: θ₁ = (1,0), θ₂ = (0,2), w₁ = (1,0), b₁ = 0, w₂ = (0,1), b₂ = −1. */
    private MatLoss.Params specParams() {
        return new MatLoss.Params(tape.constant(new double[] {1, 0, 0, 2}, 2, 2),
                tape.constant(new double[] {1, 0, 0, 1}, 2, 2), tape.constant(new double[] {0, -1}, 2));
    }

    private static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }

    @Test
    void editOfTheSpecExample() {
        Var a = tape.constant(new double[] {1, 1}, 1, 2);
        Var g = MatLoss.gates(tape, specParams(), a);
        assertEquals(0.731059, g.get(0), 1e-6);
        assertEquals(0.5, g.get(1), 1e-12);
        var applied = MatLoss.edit(tape, specParams(), a);
        assertArrayEquals(g.toDoubleArray(), applied.gates().toDoubleArray(), 0);
        Var e = applied.output();
        assertEquals(0.925517, e.get(0), 1e-6);
        assertEquals(1.069307, e.get(1), 1e-6);
    }

    @Test
    void mmdOfTheSpecExampleAndOfEqualSets() {
        Var x = tape.constant(new double[] {0, 0, 2, 0}, 2, 2);
        Var y = tape.constant(new double[] {0, 2}, 1, 2);
        assertEquals(0.828855, MatLoss.mmd(tape, x, new Var[] {y}, 2).item(), 1e-6);
        assertEquals(0, MatLoss.mmd(tape, x, new Var[] {x}, 2).item(), 1e-12);
    }

    @Test
    void mmdIsAveragedOverAttributes() {
        // two attributes, one row each: MMD² of single points = 2 − 2·exp(−‖x−y‖²/8)
        Var x = tape.constant(new double[] {0, 0, 1, 1}, 2, 2);
        Var y0 = tape.constant(new double[] {0, 2}, 1, 2), y1 = tape.constant(new double[] {1, 1}, 1, 2);
        double expected = ((2 - 2 * Math.exp(-4.0 / 8)) + 0) / 2;
        assertEquals(expected, MatLoss.mmd(tape, x, new Var[] {y0, y1}, 2).item(), 1e-12);
    }

    @Test
    void orthogonalityOfTheSpecExample() {
        Var theta = tape.constant(new double[] {1, 0, 0, 1, 1, 0, 0, 0, 5}, 3, 3);
        assertEquals(0.5, MatLoss.orthogonality(tape, theta).item(), 1e-12);
    }

    @Test
    void allTermsOfAOneRowBatchByHand() {
        MatLoss.Params p = specParams();
        // attribute 0: positive (0,1), negative (1,1), MMD target (0,2); attribute 1: positive (1,0), negative (2,0), target (1,2)
        Var pos = tape.constant(new double[] {0, 1, 1, 0}, 2, 2);
        Var neg = tape.constant(new double[] {1, 1, 2, 0}, 2, 2);
        Var[] targets = {tape.constant(new double[] {0, 2}, 1, 2), tape.constant(new double[] {1, 2}, 1, 2)};
        MatLoss.Terms t = MatLoss.compute(tape, p, new MatLoss.Batch(pos, neg, targets), MatLoss.Weights.QA, 2);

        // gates: (0,1) → (σ(0), σ(0)); (1,0) → (σ(1), σ(−1)); (1,1) → (σ(1), σ(0)); (2,0) → (σ(2), σ(−1))
        double lPos = (0.25 + 0.25 + Math.pow(sigmoid(1), 2) + Math.pow(sigmoid(-1), 2)) / 4;
        double lSparse = (sigmoid(1) + 0.5 + sigmoid(2) + sigmoid(-1)) / 4;
        // edited negatives: (1,1) → spec ã; (2,0) → a' = (2 + σ(2), 2σ(−1)) rescaled to norm 2
        double[] e0 = {0.925517, 1.069307};
        double ax = 2 + sigmoid(2), ay = 2 * sigmoid(-1), n = Math.hypot(ax, ay);
        double[] e1 = {2 * ax / n, 2 * ay / n};
        double mmd0 = 2 - 2 * Math.exp(-(sq(e0[0] - 0) + sq(e0[1] - 2)) / 8);
        double mmd1 = 2 - 2 * Math.exp(-(sq(e1[0] - 1) + sq(e1[1] - 2)) / 8);
        double lMmd = (mmd0 + mmd1) / 2;
        double lOrtho = 0; // θ₁ ⟂ θ₂

        assertEquals(lPos, t.pos().item(), 1e-12);
        assertEquals(lSparse, t.sparse().item(), 1e-12);
        assertEquals(lMmd, t.mmd().item(), 1e-5); // e0 is given to 6 digits
        assertEquals(lOrtho, t.ortho().item(), 1e-12);
        assertEquals(lMmd + 0.9 * lPos + 0.9 * lSparse + 0.1 * lOrtho, t.total().item(), 1e-5);
    }

    @Test
    void gatePenaltiesOfTheSpecExample() {
        // rows (0,0) and (1,0) with b = 0 and W[:,0] = (logit 0.2, logit 0.8) give gates [[0.5,0.5],[0.2,0.8]]
        double l2 = Math.log(0.2 / 0.8), l8 = Math.log(0.8 / 0.2);
        MatLoss.Params p = new MatLoss.Params(tape.constant(new double[] {1, 0, 0, 1}, 2, 2),
                tape.constant(new double[] {l2, 0, l8, 0}, 2, 2), tape.constant(new double[] {0, 0}, 2));
        Var rows = tape.constant(new double[] {0, 0, 1, 0}, 2, 2);
        Var[] targets = {tape.constant(new double[] {0, 1}, 1, 2), tape.constant(new double[] {1, 1}, 1, 2)};
        MatLoss.Terms t = MatLoss.compute(tape, p, new MatLoss.Batch(rows, rows, targets), MatLoss.Weights.QA, 2);
        assertEquals(0.295, t.pos().item(), 1e-12);
        assertEquals(0.5, t.sparse().item(), 1e-12);
    }

    private static double sq(double v) { return v * v; }

    @Test
    void fullLossGradientMatchesFiniteDifferences() {
        int t = 2, d = 3, k = 3;
        Random rng = new Random(7);
        double[] pos = gaussian(rng, t * k * d, 1), neg = gaussian(rng, t * k * d, 1);
        double[] y0 = gaussian(rng, k * d, 1), y1 = gaussian(rng, k * d, 1);
        GradCheck.Graph loss = (tp, in) -> MatLoss.compute(tp, new MatLoss.Params(in.get(0), in.get(1), in.get(2)),
                new MatLoss.Batch(tp.constant(pos, t * k, d), tp.constant(neg, t * k, d),
                        new Var[] {tp.constant(y0, k, d), tp.constant(y1, k, d)}), MatLoss.Weights.QA, 2).total();
        GradCheck.Result r = GradCheck.check(loss, List.of(
                GradCheck.Input.of(gaussian(rng, t * d, 1), t, d),
                GradCheck.Input.of(gaussian(rng, t * d, 0.5), t, d),
                GradCheck.Input.of(gaussian(rng, t, 0.5), t)));
        assertTrue(r.maxGradientError() < 1e-6, r::toString);
    }

    @Test
    void eachTermsGradientMatchesFiniteDifferences() {
        int t = 3, d = 4, k = 2;
        Random rng = new Random(11);
        double[] pos = gaussian(rng, t * k * d, 1), neg = gaussian(rng, t * k * d, 1);
        double[][] ys = {gaussian(rng, k * d, 1), gaussian(rng, k * d, 1), gaussian(rng, k * d, 1)};
        for (int term = 0; term < 4; term++) {
            int which = term;
            GradCheck.Graph loss = (tp, in) -> {
                Var[] targets = {tp.constant(ys[0], k, d), tp.constant(ys[1], k, d), tp.constant(ys[2], k, d)};
                MatLoss.Terms terms = MatLoss.compute(tp, new MatLoss.Params(in.get(0), in.get(1), in.get(2)),
                        new MatLoss.Batch(tp.constant(pos, t * k, d), tp.constant(neg, t * k, d), targets), MatLoss.Weights.QA, 1.5);
                return switch (which) {
                    case 0 -> terms.mmd();
                    case 1 -> terms.pos();
                    case 2 -> terms.sparse();
                    default -> terms.ortho();
                };
            };
            GradCheck.Result r = GradCheck.check(loss, List.of(
                    GradCheck.Input.of(gaussian(rng, t * d, 1), t, d),
                    GradCheck.Input.of(gaussian(rng, t * d, 0.5), t, d),
                    GradCheck.Input.of(gaussian(rng, t, 0.5), t)));
            // a term that does not depend on an input has a zero gradient there, which FD confirms (error 0)
            assertTrue(r.maxGradientError() < 1e-6, "term " + which + ": " + r);
        }
    }

    static double[] gaussian(Random rng, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian() * scale;
        }
        return v;
    }
}
