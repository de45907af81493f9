package io.jsteer.steering.kts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.tensor.optim.AdamW;
import io.jsteer.tensor.optim.LearningRateSchedule;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The checkpointable AdamW computes exactly what tensor.optim.AdamW computes, and its state restores exactly. */
class CheckpointableAdamWTest {

    private static double[] init(long seed, int n) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    /** One step of a small least-squares problem: loss = mean((x·wᵀ − y)²). */
    private static void gradient(Var w, int step) {
        Tape t = new Tape(Precision.F32);
        Var x = t.constant(init(100 + step, 12), 4, 3);
        Var y = t.constant(init(200 + step, 8), 4, 2);
        w.zeroGrad();
        t.backward(t.mean(t.square(t.sub(t.linear(x, w), y))));
    }

    @Test
    void sameUpdatesAsTensorOptimAdamWAndExactResume() {
        LearningRateSchedule lr = LearningRateSchedule.cosine(0.05, 0, 20);
        Var a = Var.param(Precision.F32, init(1, 6), 2, 3), b = Var.param(Precision.F32, init(1, 6), 2, 3);
        AdamW reference = new AdamW(List.of(a), lr, 0.01);
        CheckpointableAdamW mine = new CheckpointableAdamW(List.of(b), lr, 0.01);
        for (int s = 0; s < 10; s++) {
            gradient(a, s);
            gradient(b, s);
            reference.step();
            mine.step();
            assertArrayEquals(a.toFloatArray(), b.toFloatArray(), "step " + s);
        }
        // snapshot at step 10, continue both; a fresh optimizer restored from the snapshot matches
        CheckpointableAdamW.State snapshot = mine.state();
        float[] atSnapshot = b.toFloatArray();
        for (int s = 10; s < 15; s++) {
            gradient(b, s);
            mine.step();
        }
        Var c = Var.param(Precision.F32, atSnapshot, 2, 3);
        CheckpointableAdamW resumed = new CheckpointableAdamW(List.of(c), lr, 0.01);
        resumed.restore(snapshot);
        for (int s = 10; s < 15; s++) {
            gradient(c, s);
            resumed.step();
        }
        assertArrayEquals(b.toFloatArray(), c.toFloatArray());
        CheckpointableAdamW other = new CheckpointableAdamW(List.of(c, a), lr, 0);
        assertThrows(IllegalArgumentException.class, () -> other.restore(snapshot));
    }
}
