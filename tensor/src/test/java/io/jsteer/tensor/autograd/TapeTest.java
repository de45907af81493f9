package io.jsteer.tensor.autograd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Recording, accumulation, zeroing, no-grad scopes and broadcast gradients. */
class TapeTest {

    private static final Precision P = Precision.F64;

    /** loss = Σ (w ⊙ x), so dloss/dw = x. */
    private static Var weightedSum(Tape tape, Var w, double[] x) {
        return tape.sum(tape.mul(w, tape.constant(x, x.length)));
    }

    @Test
    void twoBackwardPassesAddAndZeroGradResets() {
        Var w = Var.param(P, new double[] {1, 2, 3}, 3);
        Tape tape = new Tape(P);
        tape.backward(weightedSum(tape, w, new double[] {4, 5, 6}));
        assertArrayEquals(new double[] {4, 5, 6}, w.gradToDoubleArray());
        tape.backward(weightedSum(tape, w, new double[] {1, -1, 2}));
        assertArrayEquals(new double[] {5, 4, 8}, w.gradToDoubleArray());
        w.zeroGrad();
        assertArrayEquals(new double[] {0, 0, 0}, w.gradToDoubleArray());
        tape.backward(weightedSum(tape, w, new double[] {7, 8, 9}));
        assertArrayEquals(new double[] {7, 8, 9}, w.gradToDoubleArray());
    }

    @Test
    void reusedVarGetsBothContributions() {
        // y = x·x + 3x → dy/dx = 2x + 3
        Var x = Var.param(P, new double[] {2, -1}, 2);
        Tape tape = new Tape(P);
        tape.backward(tape.sum(tape.add(tape.mul(x, x), tape.scale(x, 3))));
        assertArrayEquals(new double[] {7, 1}, x.gradToDoubleArray());
    }

    @Test
    void tapeIsEmptiedByBackward() {
        Var w = Var.param(P, new double[] {1, 2}, 2);
        Tape tape = new Tape(P);
        Var loss = weightedSum(tape, w, new double[] {1, 1});
        assertEquals(2, tape.recordedOps());
        tape.backward(loss);
        assertEquals(0, tape.recordedOps());
    }

    @Test
    void constantsOnlyGraphRecordsNothingAndCannotBackward() {
        Tape tape = new Tape(P);
        Var c = tape.constant(new double[] {1, 2}, 2);
        Var s = tape.sum(tape.exp(c));
        assertFalse(s.requiresGrad());
        assertEquals(0, tape.recordedOps());
        assertThrows(IllegalArgumentException.class, () -> tape.backward(s));
    }

    @Test
    void noGradRecordsNothingAndNests() {
        Var w = Var.param(P, new double[] {1, 2}, 2);
        Tape tape = new Tape(P);
        try (NoGrad _ = tape.noGrad()) {
            try (NoGrad _ = tape.noGrad()) {
                assertFalse(weightedSum(tape, w, new double[] {3, 4}).requiresGrad());
            }
            Var loss = weightedSum(tape, w, new double[] {3, 4});
            assertFalse(loss.requiresGrad());
            assertEquals(11, loss.item(), 1e-12);
            assertFalse(tape.isRecording());
        }
        assertEquals(0, tape.recordedOps());
        assertNull(w.grad());
        assertTrue(tape.isRecording());
        assertTrue(weightedSum(tape, w, new double[] {3, 4}).requiresGrad());
    }

    @Test
    void rowBroadcastGradientSumsOverRows() {
        // a [2,3] + b [3]: db = column sums of the seed, da = the seed
        Var a = Var.param(P, new double[6], 2, 3);
        Var b = Var.param(P, new double[3], 3);
        Tape tape = new Tape(P);
        tape.backward(tape.add(a, b), new double[] {1, 2, 3, 10, 20, 30});
        assertArrayEquals(new double[] {11, 22, 33}, b.gradToDoubleArray());
        assertArrayEquals(new double[] {1, 2, 3, 10, 20, 30}, a.gradToDoubleArray());
    }

    @Test
    void columnAndScalarBroadcastGradients() {
        Var a = Var.param(P, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Var col = Var.param(P, new double[] {2, 3}, 2, 1);
        Var s = Var.param(P, new double[] {5});
        Tape tape = new Tape(P);
        Var y = tape.mul(tape.add(a, s), col);
        assertArrayEquals(new double[] {12, 14, 16, 27, 30, 33}, y.toDoubleArray(), 1e-12);
        tape.backward(y, new double[] {1, 1, 1, 1, 1, 1});
        // d/dcol_r = Σ_c (a+s)[r][c], d/ds = Σ col_r · 3
        assertArrayEquals(new double[] {21, 30}, col.gradToDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {15}, s.gradToDoubleArray(), 1e-12);
    }

    @Test
    void mixedPrecisionIsRejected() {
        Tape tape = new Tape(Precision.F32);
        Var w = Var.param(Precision.F64, new double[] {1}, 1);
        assertThrows(IllegalArgumentException.class, () -> tape.exp(w));
    }

    @Test
    void reshapeIsAViewWithItsOwnGradient() {
        Var x = Var.param(P, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tape tape = new Tape(P);
        Var r = tape.reshape(x, 3, 2);
        assertArrayEquals(new int[] {3, 2}, r.shape());
        assertTrue(r.data() == x.data());
        tape.backward(tape.sum(tape.slice(r, 0, 1, 2)));
        assertArrayEquals(new double[] {0, 0, 1, 1, 0, 0}, x.gradToDoubleArray());
    }
}
