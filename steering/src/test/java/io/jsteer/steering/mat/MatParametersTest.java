package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The module as the shared GatedEdit: the spec's §7 numbers and agreement with the training graph. */
class MatParametersTest {

    static MatParameters spec() {
        return new MatParameters(List.of("a", "b"), new float[][] {{1, 0}, {0, 2}}, new float[][] {{1, 0}, {0, 1}},
                new float[] {0, -1});
    }

    @Test
    void gatesEditAndNormOfTheSpecExample() {
        float[] a = {1, 1};
        double[][] g = new double[1][];
        Site site = Site.parse("attn_heads:0");
        spec().toGatedEdit(site).toHook((at, pos, inPrompt, gates) -> g[0] = gates).apply(site, 0, true, a);
        assertArrayEquals(new double[] {0.731059, 0.5}, g[0], 1e-6);
        double[] viaRows = new double[2];
        spec().gates(new float[] {1, 1}, viaRows);
        assertArrayEquals(g[0], viaRows, 1e-12);
        assertArrayEquals(new float[] {0.925517f, 1.069307f}, a, 1e-6f);
        assertEquals(Math.sqrt(2), Math.hypot(a[0], a[1]), 1e-6);
    }

    @Test
    void inferenceEditEqualsTheTrainingGraphOnRandomInputs() {
        Random rng = new Random(3);
        int t = 3, d = 16;
        MatParameters p = MatParameters.initial(List.of("x", "y", "z"), d, 5);
        Tape tape = new Tape(Precision.F64);
        MatLoss.Params vars = new MatLoss.Params(tape.constant(MatTrainer.flatten(p.theta()), t, d),
                tape.constant(MatTrainer.flatten(p.gateWeight()), t, d), tape.constant(p.gateBias(), t));
        for (int trial = 0; trial < 5; trial++) {
            float[] a = new float[d];
            for (int j = 0; j < d; j++) {
                a[j] = (float) (rng.nextGaussian() * 3);
            }
            Var av = tape.constant(a.clone(), 1, d);
            var applied = MatLoss.edit(tape, vars, av);
            Var gates = applied.gates();
            double[] expected = applied.output().toDoubleArray();
            double[][] g = new double[1][];
            p.toGatedEdit(Site.parse("resid_post:1")).toHook((at, pos, inPrompt, gs) -> g[0] = gs).apply(null, 0, true, a);
            assertArrayEquals(gates.toDoubleArray(), g[0], 1e-6);
            for (int j = 0; j < d; j++) {
                assertEquals(expected[j], a[j], 1e-4);
            }
        }
    }

    @Test
    void initialisationFollowsTheReferenceCode() {
        int d = 4096;
        MatParameters p = MatParameters.initial(List.of("a", "b", "c"), d, 1);
        double bound = 1 / Math.sqrt(d), sumSq = 0;
        for (float v : p.theta()[0]) {
            sumSq += v * v;
        }
        assertEquals(Math.sqrt(d), Math.sqrt(sumSq), 3); // ‖θ‖ ≈ √d = 64
        for (float[] w : p.gateWeight()) {
            for (float v : w) {
                assertEquals(0, v, bound);
            }
        }
        // spec §7: L_ortho at init ≈ 3/d (each of 3 cos² has mean 1/d); averaged over 40 seeds (sd of the mean ≈ 0.4/d)
        int small = 1024;
        double mean = 0;
        for (int seed = 0; seed < 40; seed++) {
            MatParameters q = MatParameters.initial(List.of("a", "b", "c"), small, seed);
            Tape tape = new Tape(Precision.F64);
            mean += MatLoss.orthogonality(tape, tape.constant(MatTrainer.flatten(q.theta()), 3, small)).item() / 40;
        }
        assertEquals(3.0 / small, mean, 1.5 / small);
    }

    @Test
    void mismatchedShapesAreRejectedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> new MatParameters(List.of("a", "b"),
                new float[][] {{1, 0}, {0, 2}}, new float[][] {{1, 0}, {0, 1, 2}}, new float[] {0, 0}));
        assertEquals("attribute b: theta has 2 values and gate_weight 3, expected 2", e.getMessage());
    }
}
