package io.jsteer.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Adam/AdamW state(): a snapshot from which a fresh optimizer resumes bit for bit. */
class AdamStateTest {

    private static double[] init(long seed, int n) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    /** Gradient of a small least-squares problem, loss = mean((x·wᵀ − y)²), different at every step. */
    private static void gradient(Var w, int step) {
        Tape t = new Tape(Precision.F32);
        Var x = t.constant(init(100 + step, 12), 4, 3);
        Var y = t.constant(init(200 + step, 8), 4, 2);
        w.zeroGrad();
        t.backward(t.mean(t.square(t.sub(t.linear(x, w), y))));
    }

    @Test
    void aRestoredAdamWContinuesExactlyAsTheUninterruptedOne() {
        LearningRateSchedule lr = LearningRateSchedule.cosine(0.05, 0, 20);
        Var b = Var.param(Precision.F32, init(1, 6), 2, 3), frozen = Var.param(Precision.F32, init(2, 4), 2, 2);
        AdamW opt = new AdamW(List.of(b, frozen), lr, 0.01);
        for (int s = 0; s < 10; s++) {
            gradient(b, s);
            opt.step();
        }
        Adam.State snapshot = opt.state();
        assertEquals(10, snapshot.steps());
        assertNull(snapshot.m()[1], "a parameter without gradients has no moments yet");
        double[] m0 = snapshot.m()[0].clone();
        float[] atSnapshot = b.toFloatArray();
        for (int s = 10; s < 15; s++) {
            gradient(b, s);
            opt.step();
        }
        assertArrayEquals(m0, snapshot.m()[0], "the snapshot is a copy, later steps leave it alone");
        assertNotEquals(m0[0], opt.state().m()[0][0]);

        Var c = Var.param(Precision.F32, atSnapshot, 2, 3);
        AdamW resumed = new AdamW(List.of(c, Var.param(Precision.F32, init(2, 4), 2, 2)), lr, 0.01);
        resumed.restore(snapshot);
        assertEquals(10, resumed.steps());
        assertEquals(lr.at(10), resumed.learningRate());
        for (int s = 10; s < 15; s++) {
            gradient(c, s);
            resumed.step();
        }
        assertArrayEquals(b.toFloatArray(), c.toFloatArray());

        // without the restore the first step differs: the moments matter
        Var d = Var.param(Precision.F32, atSnapshot, 2, 3), e = Var.param(Precision.F32, atSnapshot, 2, 3);
        AdamW fresh = new AdamW(List.of(d), lr, 0.01), restored = new AdamW(List.of(e), lr, 0.01);
        restored.restore(new Adam.State(snapshot.steps(), new double[][] {snapshot.m()[0]}, new double[][] {snapshot.v()[0]}));
        gradient(d, 10);
        fresh.step();
        gradient(e, 10);
        restored.step();
        assertNotEquals(d.toFloatArray()[0], e.toFloatArray()[0]);
    }

    @Test
    void mismatchedStatesAreRefusedByName() {
        LearningRateSchedule lr = LearningRateSchedule.constant(0.1);
        Var a = Var.param(Precision.F32, init(1, 6), 2, 3);
        Adam opt = new Adam(List.of(a), lr);
        gradient(a, 0);
        opt.step();
        Adam.State s = opt.state();
        Adam two = new Adam(List.of(a, Var.param(Precision.F32, init(2, 4), 2, 2)), lr);
        var e = assertThrows(IllegalArgumentException.class, () -> two.restore(s));
        assertTrue(e.getMessage().contains("holds 1 parameters, the optimizer 2"), e.getMessage());
        Adam small = new Adam(List.of(Var.param(Precision.F32, init(2, 4), 2, 2)), lr);
        e = assertThrows(IllegalArgumentException.class, () -> small.restore(s));
        assertTrue(e.getMessage().contains("parameter 0 has 6 values, the parameter 4"), e.getMessage());
    }
}
