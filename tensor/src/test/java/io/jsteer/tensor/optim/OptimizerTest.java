package io.jsteer.tensor.optim;

import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerTest {

    private static final Precision P = Precision.F64;

    /** Sets p's gradient to exactly {@code g} (through a graph: loss = Σ g ⊙ p). */
    private static void setGrad(Var p, double... g) {
        p.zeroGrad();
        Tape tape = new Tape(p.precision());
        tape.backward(tape.sum(tape.mul(p, tape.constant(g, g.length))));
    }

    @Test
    void adamTwoStepsMatchHandComputation() {
        // step 1: m̂ = g, v̂ = g² → p −= lr·g/|g|; step 2 values from the formulas by hand (see AdamW test)
        Var p = Var.param(P, new double[] {1}, 1);
        Adam adam = new Adam(List.of(p), LearningRateSchedule.constant(0.1));
        setGrad(p, 0.5);
        adam.step();
        assertEquals(0.900000002, p.get(0), 1e-12);
        setGrad(p, -1.0);
        adam.step();
        // m = 0.9·0.05 − 0.1 = −0.055, v = 0.999·0.00025 + 0.001 = 0.00124975,
        // m̂ = −0.055/0.19, v̂ = 0.00124975/0.001999
        assertEquals(0.9366103542405654, p.get(0), 1e-12);
        assertEquals(2, adam.steps());
    }

    @Test
    void adamWDecaysBeforeTheUpdate() {
        Var p = Var.param(P, new double[] {1, -2}, 2);
        AdamW adamW = new AdamW(List.of(p), LearningRateSchedule.constant(0.1), 0.9, 0.999, 1e-8, 0.1);
        setGrad(p, 0.5, 0);
        adamW.step();
        // p·(1 − 0.1·0.1) − 0.1·sign(g); a zero gradient only decays
        assertArrayEquals(new double[] {0.890000002, -1.98}, p.toDoubleArray(), 1e-12);
        setGrad(p, -1.0, 0);
        adamW.step();
        assertEquals(0.9177103542205653, p.get(0), 1e-12);
        assertEquals(-1.98 * 0.99, p.get(1), 1e-12);
    }

    @Test
    void sgdWithMomentum() {
        Var p = Var.param(P, new double[] {1}, 1);
        Sgd sgd = new Sgd(List.of(p), LearningRateSchedule.constant(0.1), 0.9);
        setGrad(p, 1);
        sgd.step();
        assertEquals(0.9, p.get(0), 1e-12);
        setGrad(p, 1);
        sgd.step();
        assertEquals(0.9 - 0.1 * 1.9, p.get(0), 1e-12);
        Var q = Var.param(P, new double[] {1}, 1);
        Sgd plain = new Sgd(List.of(q), LearningRateSchedule.constant(0.5));
        setGrad(q, 3);
        plain.step();
        assertEquals(-0.5, q.get(0), 1e-12);
    }

    @Test
    void parameterWithoutGradientIsUntouched() {
        Var used = Var.param(P, new double[] {1}, 1);
        Var unused = Var.param(P, new double[] {5}, 1);
        Adam adam = new AdamW(List.of(used, unused), LearningRateSchedule.constant(0.1), 0.5);
        setGrad(used, 1);
        adam.step();
        assertEquals(5, unused.get(0));
        assertTrue(used.get(0) < 1);
    }

    @Test
    void schedulesAtSpecificSteps() {
        LearningRateSchedule cosine = LearningRateSchedule.cosine(1.0, 0, 100);
        assertEquals(1.0, cosine.at(0), 1e-12);
        assertEquals(0.5, cosine.at(50), 1e-12);
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 0.25)), cosine.at(25), 1e-12);
        assertEquals(0.0, cosine.at(100), 1e-12);
        assertEquals(0.0, cosine.at(150), 1e-12);

        LearningRateSchedule warmCosine = LearningRateSchedule.cosine(2.0, 10, 110);
        assertEquals(0.0, warmCosine.at(0), 1e-12);
        assertEquals(1.0, warmCosine.at(5), 1e-12);
        assertEquals(2.0, warmCosine.at(10), 1e-12);
        assertEquals(1.0, warmCosine.at(60), 1e-12);
        assertEquals(0.1 + 0.9 * 0.5, LearningRateSchedule.cosine(1.0, 0, 100, 0.1).at(50), 1e-12);

        LearningRateSchedule linear = LearningRateSchedule.linear(2.0, 4, 12);
        assertEquals(1.0, linear.at(2), 1e-12);
        assertEquals(2.0, linear.at(4), 1e-12);
        assertEquals(1.0, linear.at(8), 1e-12);
        assertEquals(0.0, linear.at(12), 1e-12);

        LearningRateSchedule constant = LearningRateSchedule.constant(3.0, 3);
        assertEquals(0.0, constant.at(0), 1e-12);
        assertEquals(1.0, constant.at(1), 1e-12);
        assertEquals(3.0, constant.at(3), 1e-12);
        assertEquals(3.0, constant.at(1000), 1e-12);
    }

    @Test
    void optimizerFollowsItsSchedule() {
        Var p = Var.param(P, new double[] {0}, 1);
        Sgd sgd = new Sgd(List.of(p), LearningRateSchedule.linear(1.0, 0, 4));
        double[] expected = {1, 0.75, 0.5, 0.25};
        double position = 0;
        for (double lr : expected) {
            assertEquals(lr, sgd.learningRate(), 1e-12);
            setGrad(p, -1);
            sgd.step();
            position += lr;
            assertEquals(position, p.get(0), 1e-12);
        }
    }

    @Test
    void clippingScalesToTheExactNorm() {
        Var a = Var.param(P, new double[2], 2);
        Var b = Var.param(P, new double[1], 1);
        setGrad(a, 3, 4);
        setGrad(b, 12);
        assertEquals(13, GradientClipping.clipGlobalNorm(List.of(a, b), 6.5), 1e-12);
        assertArrayEquals(new double[] {1.5, 2}, a.gradToDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {6}, b.gradToDoubleArray(), 1e-12);
        assertEquals(6.5, GradientClipping.globalNorm(List.of(a, b)), 1e-12);
        // below the limit nothing changes
        assertEquals(6.5, GradientClipping.clipGlobalNorm(List.of(a, b), 100), 1e-12);
        assertArrayEquals(new double[] {1.5, 2}, a.gradToDoubleArray(), 1e-12);
    }

    @Test
    void leastSquaresConvergesInFloat32() {
        // b = A·x* + 0; minimise mean (A x − b)² over x from zero
        Random rng = new Random(3);
        int rows = 32, cols = 4;
        double[] a = new double[rows * cols], xTrue = {1.5, -2, 0.5, 3}, b = new double[rows];
        for (int i = 0; i < a.length; i++) {
            a[i] = rng.nextGaussian();
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                b[r] += a[r * cols + c] * xTrue[c];
            }
        }
        for (String kind : List.of("adamw", "sgd")) {
            Var x = Var.zerosParam(Precision.F32, 1, cols);
            Optimizer opt = kind.equals("adamw")
                    ? new AdamW(List.of(x), LearningRateSchedule.cosine(0.1, 20, 600), 0)
                    : new Sgd(List.of(x), LearningRateSchedule.constant(0.05), 0.9);
            Tape tape = new Tape(Precision.F32);
            Var matrix = tape.constant(a, rows, cols);
            Var target = tape.constant(b, rows, 1);
            double loss = Double.NaN;
            for (int step = 0; step < 600; step++) {
                opt.zeroGrad();
                Var residual = tape.sub(tape.linear(matrix, x), target);
                Var l = tape.mean(tape.square(residual));
                loss = l.item();
                tape.backward(l);
                GradientClipping.clipGlobalNorm(opt.params(), 10);
                opt.step();
            }
            assertTrue(loss < 1e-6, kind + " loss " + loss);
            for (int c = 0; c < cols; c++) {
                assertEquals(xTrue[c], x.get(c), 1e-3, kind);
            }
        }
    }
}
