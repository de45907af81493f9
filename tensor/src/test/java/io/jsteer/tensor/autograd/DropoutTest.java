package io.jsteer.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Inverted dropout: mask statistics and scaling, determinism by seed, gradients with a fixed mask. */
class DropoutTest {

    private static double[] ramp(int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = 1 + i % 7;
        }
        return v;
    }

    @Test
    void keptShareIsOneMinusPAndKeptValuesAreScaled() {
        int n = 200_000;
        double p = 0.3;
        Tape tape = new Tape(Precision.F64);
        double[] x = ramp(n);
        Var y = tape.dropout(tape.constant(x, 1000, 200), p, 42);
        int kept = 0;
        for (int i = 0; i < n; i++) {
            double v = y.get(i);
            if (v != 0) {
                kept++;
                assertEquals(x[i] / (1 - p), v, 1e-12, "kept element " + i);
            }
        }
        double share = (double) kept / n;
        double sigma = Math.sqrt(p * (1 - p) / n);
        assertEquals(1 - p, share, 5 * sigma, "kept share");
        // inverted scaling keeps the mean: Σy ≈ Σx
        double sx = 0, sy = 0;
        for (int i = 0; i < n; i++) {
            sx += x[i];
            sy += y.get(i);
        }
        assertEquals(1, sy / sx, 0.01);
    }

    @Test
    void oneSeedOneMaskAndOtherSeedsOtherMasks() {
        Tape tape = new Tape(Precision.F32);
        Var x = tape.constant(ramp(64), 8, 8);
        float[] a = tape.dropout(x, 0.5, 7).toFloatArray();
        float[] b = tape.dropout(x, 0.5, 7).toFloatArray();
        float[] c = tape.dropout(x, 0.5, 8).toFloatArray();
        assertArrayEquals(a, b);
        assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
    }

    @Test
    void zeroProbabilityIsTheIdentityAndBadProbabilitiesAreRefused() {
        Tape tape = new Tape(Precision.F32);
        Var x = Var.param(Precision.F32, new double[] {1, 2, 3}, 3);
        assertSame(x, tape.dropout(x, 0, 1));
        assertEquals(0, tape.recordedOps());
        var e = assertThrows(IllegalArgumentException.class, () -> tape.dropout(x, 1, 1));
        assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tape.dropout(x, -0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> tape.dropout(x, Double.NaN, 1));
    }

    @Test
    void gradientWithAFixedMaskMatchesFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(5);
        double[] x = r.doubles(6 * 5, -1, 1).toArray();
        double[] w = r.doubles(4 * 5, -1, 1).toArray();
        GradCheck.Result res = GradCheck.check((tape, in) -> tape.tanh(tape.linear(tape.dropout(in.get(0), 0.4, 99), in.get(1))),
                List.of(GradCheck.Input.of(x, 6, 5), GradCheck.Input.of(w, 4, 5)));
        assertTrue(res.maxError() < 1e-7, "relative error " + res.maxError());
        // the mask matters: the gradient of a dropped input element is exactly 0
        Var xp = Var.param(Precision.F64, x, 6, 5);
        Var wp = Var.param(Precision.F64, w, 4, 5);
        Tape tape = new Tape(Precision.F64);
        tape.backward(tape.sum(tape.tanh(tape.linear(tape.dropout(xp, 0.4, 99), wp))));
        boolean[] kept = Dropout.mask(x.length, 0.4, 99);
        int dropped = 0;
        for (int i = 0; i < x.length; i++) {
            if (!kept[i]) {
                dropped++;
                assertEquals(0, xp.gradToDoubleArray()[i]);
            } else {
                assertNotEquals(0, xp.gradToDoubleArray()[i]);
            }
        }
        assertTrue(dropped > 0 && dropped < x.length, "mask drops some but not all: " + dropped);
    }
}
