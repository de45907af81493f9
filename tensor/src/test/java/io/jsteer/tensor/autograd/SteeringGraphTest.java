package io.jsteer.tensor.autograd;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The MAT-Steer pieces of the design spec, built from the generic ops. */
class SteeringGraphTest {

    private final Tape tape = new Tape(Precision.F64);

    @Test
    void gatesAndEditOfTheSpecExample() {
        // d = 2, T = 2 attributes; a = (1, 1)
        Var a = tape.constant(new double[] {1, 1}, 1, 2);
        Var theta = Var.param(Precision.F64, new double[] {1, 0, 0, 2}, 2, 2); // [T, d]
        Var gateW = Var.param(Precision.F64, new double[] {1, 0, 0, 1}, 2, 2); // [T, d]
        Var gateB = Var.param(Precision.F64, new double[] {0, -1}, 2);          // [T]
        Var gates = tape.sigmoid(tape.add(tape.linear(a, gateW), gateB));       // [1, T]
        assertArrayEquals(new double[] {0.731059, 0.5}, gates.toDoubleArray(), 1e-6);
        Var edited = tape.add(a, tape.matmul(gates, theta));                   // a + Σ g_t θ_t
        assertArrayEquals(new double[] {1.731059, 2}, edited.toDoubleArray(), 1e-6);
        // norm preservation: ã · ‖a‖ / ‖ã‖
        Var preserved = tape.mul(edited, tape.div(tape.rowNorm(a), tape.rowNorm(edited)));
        assertEquals(Math.sqrt(2), tape.rowNorm(preserved).item(), 1e-12);
        tape.backward(tape.sum(preserved));
        assertTrue(theta.grad() != null && gateW.grad() != null && gateB.grad() != null);
    }

    @Test
    void gatePenaltiesOfTheSpecExample() {
        Var g = tape.constant(new double[] {0.5, 0.5, 0.2, 0.8}, 2, 2);
        assertEquals(0.5, tape.mean(tape.abs(g)).item(), 1e-12);
        assertEquals(0.295, tape.mean(tape.square(g)).item(), 1e-12);
    }

    @Test
    void mmdLossOfAnEditedSetIsDifferentiable() {
        GradCheck.Graph loss = (t, in) -> {
            Var edited = t.add(in.get(0), in.get(1)); // negatives + steering vector
            return t.mmdSquared(edited, t.constant(new double[] {0, 2, 1, 2, 0.5, 1.5}, 3, 2), 2.0);
        };
        GradCheck.Result r = GradCheck.check(loss, List.of(
                GradCheck.Input.of(new double[] {0, 0, 2, 0, 1, -1, 0.5, 0.5}, 4, 2),
                GradCheck.Input.of(new double[] {0.1, -0.3}, 2)));
        assertTrue(r.maxGradientError() < 1e-6, r::toString);
    }
}
