package io.jsteer.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.Parallel;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Activation recomputation: same values and gradients as the plain graph, fewer recorded ops. */
class CheckpointTest {

    /** A residual block: x + w2 · tanh(w1 · rmsnorm(x) + s), s an outer-tape tensor used inside. */
    private static Var block(Tape t, Var x, Var w1, Var w2, Var s) {
        Var h = t.tanh(t.add(t.linear(t.rmsNorm(x, null, 1e-5), w1), s));
        return t.add(x, t.linear(h, w2));
    }

    /** Three blocks, each optionally checkpointed, then a scalar loss. */
    private static Var model(Tape t, List<Var> in, boolean recompute) {
        Var x = in.get(0), w1 = in.get(1), w2 = in.get(2);
        Var s = t.scale(in.get(3), 2); // recorded on the outer tape before the checkpoints that read it
        for (int b = 0; b < 3; b++) {
            x = recompute ? t.checkpoint(x, (inner, xi) -> block(inner, xi, w1, w2, s)) : block(t, x, w1, w2, s);
        }
        return t.mean(t.square(x));
    }

    private static List<GradCheck.Input> inputs() {
        SplittableRandom r = new SplittableRandom(11);
        return List.of(GradCheck.Input.of(r.doubles(5 * 4, -1, 1).toArray(), 5, 4),
                GradCheck.Input.of(r.doubles(6 * 4, -0.7, 0.7).toArray(), 6, 4),
                GradCheck.Input.of(r.doubles(4 * 6, -0.7, 0.7).toArray(), 4, 6),
                GradCheck.Input.of(r.doubles(6, -0.5, 0.5).toArray(), 6));
    }

    @Test
    void gradientsThroughCheckpointsMatchFiniteDifferences() {
        GradCheck.Result res = GradCheck.check((t, in) -> model(t, in, true), inputs());
        assertTrue(res.maxError() < 1e-7, "relative errors " + java.util.Arrays.toString(res.gradientErrors()));
    }

    @Test
    void nestedCheckpointsMatchFiniteDifferences() {
        GradCheck.Result res = GradCheck.check((t, in) -> {
            Var w1 = in.get(1), w2 = in.get(2), s = in.get(3);
            Var y = t.checkpoint(in.get(0), (outer, x) -> outer.checkpoint(block(outer, x, w1, w2, s),
                    (innermost, z) -> block(innermost, z, w1, w2, s)));
            return t.sum(t.square(y));
        }, inputs());
        assertTrue(res.maxError() < 1e-7, "relative errors " + java.util.Arrays.toString(res.gradientErrors()));
    }

    @Test
    void sameValuesAndGradientsAsWithoutRecomputation() {
        for (Precision p : Precision.values()) {
            List<Var> plain = params(p), recomputed = params(p);
            Tape a = new Tape(p), b = new Tape(p, new Parallel(2));
            Var la = model(a, plain, false), lb = model(b, recomputed, true);
            assertEquals(la.item(), lb.item(), 0, "the forward is the same computation");
            a.backward(la);
            b.backward(lb);
            for (int i = 0; i < plain.size(); i++) {
                double err = GradCheck.relativeError(plain.get(i).gradToDoubleArray(), recomputed.get(i).gradToDoubleArray());
                assertTrue(err < (p == Precision.F64 ? 1e-12 : 1e-6), p + " input " + i + ": " + err);
            }
        }
    }

    private static List<Var> params(Precision p) {
        return inputs().stream().map(in -> Var.param(p, in.values(), in.shape())).toList();
    }

    @Test
    void recordsOneOpPerSegmentAndRecomputesOnBackward() {
        Tape plain = new Tape(Precision.F32), recomputing = new Tape(Precision.F32);
        model(plain, params(Precision.F32), false);
        model(recomputing, params(Precision.F32), true);
        // scale + 3 blocks of 6 ops (rmsnorm, linear, add, tanh, linear, add) + square + mean, against scale + 3 checkpoints + square + mean
        assertEquals(1 + 3 * 6 + 2, plain.recordedOps());
        assertEquals(1 + 3 + 2, recomputing.recordedOps());

        AtomicInteger runs = new AtomicInteger();
        List<Var> in = params(Precision.F32);
        Tape t = new Tape(Precision.F32);
        Var y = t.checkpoint(in.get(0), (inner, x) -> {
            runs.incrementAndGet();
            return block(inner, x, in.get(1), in.get(2), in.get(3));
        });
        assertEquals(1, runs.get());
        t.backward(t.sum(y));
        assertEquals(2, runs.get(), "the segment runs once more on backward");
        assertTrue(in.get(1).gradToDoubleArray()[0] != 0);
    }

    @Test
    void nothingIsRecordedOutsideRecordingOrWithoutTrainableInputs() {
        Tape t = new Tape(Precision.F64);
        Var c = t.constant(new double[] {1, 2, 3, 4}, 2, 2);
        Var w = Var.constant(Precision.F64, new double[] {1, 0, 0, 1}, 2, 2);
        Var y = t.checkpoint(c, (inner, x) -> inner.tanh(inner.linear(x, w)));
        assertFalse(y.requiresGrad());
        assertEquals(0, t.recordedOps());
        assertArrayEquals(new double[] {Math.tanh(1), Math.tanh(2), Math.tanh(3), Math.tanh(4)}, y.toDoubleArray(), 1e-15);

        Var p = Var.param(Precision.F64, new double[] {1, 2, 3, 4}, 2, 2);
        try (NoGrad _ = t.noGrad()) {
            Var z = t.checkpoint(p, (inner, x) -> inner.tanh(x));
            assertFalse(z.requiresGrad());
        }
        assertEquals(0, t.recordedOps());
    }

    @Test
    void aSegmentThatChangesBetweenRunsIsReported() {
        Var p = Var.param(Precision.F64, new double[] {1, 2}, 2);
        AtomicInteger runs = new AtomicInteger();
        Tape t = new Tape(Precision.F64);
        Var y = t.checkpoint(p, (inner, x) -> runs.incrementAndGet() == 1 ? inner.tanh(x)
                : inner.tanh(Var.constant(Precision.F64, new double[] {1, 2}, 2)));
        var e = assertThrows(IllegalStateException.class, () -> t.backward(t.sum(y)));
        assertTrue(e.getMessage().contains("same function"), e.getMessage());
    }
}
