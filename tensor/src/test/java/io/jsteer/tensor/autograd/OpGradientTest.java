package io.jsteer.tensor.autograd;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.GradCheck.Input;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every op's backward against central finite differences in float64 (relative error below
 * 1e-6), and its float32 forward and gradients against float64 (below 1e-4), on random
 * shapes and values. The float32 runs use two threads so the split paths are exercised.
 */
class OpGradientTest {

    private static Parallel parallel;
    private final Random rng = new Random(1234);

    @BeforeAll
    static void startThreads() {
        parallel = new Parallel(2);
    }

    @AfterAll
    static void stopThreads() {
        parallel.close();
    }

    private void verify(GradCheck.Graph graph, Input... inputs) {
        GradCheck.Result exact = GradCheck.check(graph, List.of(inputs));
        assertTrue(exact.maxGradientError() < 1e-6, () -> "finite differences: " + java.util.Arrays.toString(exact.gradientErrors()));
        GradCheck.Result f32 = GradCheck.compareFloatToDouble(graph, List.of(inputs), parallel);
        assertTrue(f32.maxError() < 1e-4, () -> "float32 vs float64: " + f32);
    }

    private Input rand(int... shape) {
        return randIn(-1, 1, shape);
    }

    private Input randIn(double lo, double hi, int... shape) {
        double[] v = new double[Var.sizeOf(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = lo + (hi - lo) * rng.nextDouble();
        }
        return Input.of(v, shape);
    }

    private int between(int lo, int hi) {
        return lo + rng.nextInt(hi - lo + 1);
    }

    @Test
    void matmul() {
        int m = between(1, 5), k = between(1, 6), n = between(1, 5);
        verify((t, in) -> t.matmul(in.get(0), in.get(1)), rand(m, k), rand(k, n));
    }

    @Test
    void linearWithGraphWeight() {
        int m = between(1, 5), k = between(1, 6), n = between(1, 5);
        verify((t, in) -> t.linear(in.get(0), in.get(1)), rand(m, k), rand(n, k));
    }

    @Test
    void largeMatmulsSplitAcrossThreadsMatchDouble() {
        GradCheck.Result r = GradCheck.compareFloatToDouble(
                (t, in) -> t.linear(t.matmul(in.get(0), in.get(1)), in.get(2)),
                List.of(rand(40, 64), rand(64, 48), rand(30, 48)), parallel);
        assertTrue(r.maxError() < 1e-4, r::toString);
    }

    @Test
    void linearWithFrozenF32Weight() {
        int in = between(1, 7), out = between(1, 6);
        FloatTensor w = FloatTensor.of(floats(randIn(-1, 1, out * in).values()));
        verify((t, v) -> t.linear(v.get(0), w, out), rand(between(1, 4), in));
    }

    @Test
    void linearWithFrozenQ8Weight() {
        int in = 64, out = 3;
        float[] values = floats(rand(out * in).values());
        byte[] q = io.jsteer.tensor.Q8_0Tensor.quantize(values);
        FloatTensor w = FloatTensor.wrap(DType.Q8_0, MemorySegment.ofArray(q), (long) out * in);
        verify((t, v) -> t.linear(v.get(0), w, out), rand(2, in));
        // same values and input gradient as the dequantized matrix used as a graph constant
        Tape tape = new Tape(Precision.F64);
        Var x = Var.param(Precision.F64, rand(2, in).values(), 2, in);
        Var y = tape.linear(x, w, out);
        tape.backward(y, new double[] {1, -2, 0.5, 3, 0.25, -1});
        double[] viaFrozen = x.gradToDoubleArray();
        x.zeroGrad();
        Var dense = tape.linear(x, tape.constant(w, out, in));
        tape.backward(dense, new double[] {1, -2, 0.5, 3, 0.25, -1});
        org.junit.jupiter.api.Assertions.assertArrayEquals(dense.toDoubleArray(), y.toDoubleArray(), 1e-12);
        org.junit.jupiter.api.Assertions.assertArrayEquals(x.gradToDoubleArray(), viaFrozen, 1e-12);
    }

    @Test
    void binaryOpsWithEveryBroadcast() {
        int r = between(2, 4), c = between(2, 5);
        for (int kind = 0; kind < 4; kind++) {
            int k = kind;
            GradCheck.Graph g = (t, in) -> switch (k) {
                case 0 -> t.add(in.get(0), in.get(1));
                case 1 -> t.sub(in.get(0), in.get(1));
                case 2 -> t.mul(in.get(0), in.get(1));
                default -> t.div(in.get(0), in.get(1));
            };
            verify(g, rand(r, c), randIn(0.5, 2, r, c));
            verify(g, rand(r, c), randIn(0.5, 2, c));
            verify(g, rand(r, c), randIn(0.5, 2, r, 1));
            verify(g, rand(r, c), randIn(0.5, 2));
        }
    }

    @Test
    void affine() {
        verify((t, in) -> t.addScalar(t.scale(in.get(0), -2.5), 0.75), rand(3, 4));
        verify((t, in) -> t.neg(in.get(0)), rand(5));
    }

    @Test
    void unaryOps() {
        Input x = randIn(-2, 2, between(1, 3), between(1, 5));
        verify((t, in) -> t.exp(in.get(0)), x);
        verify((t, in) -> t.square(in.get(0)), x);
        verify((t, in) -> t.sigmoid(in.get(0)), x);
        verify((t, in) -> t.silu(in.get(0)), x);
        verify((t, in) -> t.tanh(in.get(0)), x);
        verify((t, in) -> t.abs(in.get(0)), x);
        verify((t, in) -> t.relu(in.get(0)), x);
        Input positive = randIn(0.2, 3, 2, 4);
        verify((t, in) -> t.log(in.get(0)), positive);
        verify((t, in) -> t.sqrt(in.get(0)), positive);
    }

    @Test
    void swiglu() {
        verify((t, in) -> t.swiglu(in.get(0), in.get(1)), randIn(-3, 3, 3, 4), rand(3, 4));
    }

    @Test
    void reductions() {
        Input x = rand(between(1, 4), between(1, 5));
        verify((t, in) -> t.sum(in.get(0)), x);
        verify((t, in) -> t.mean(in.get(0)), x);
        verify((t, in) -> t.sumRows(in.get(0)), x);
        verify((t, in) -> t.meanRows(in.get(0)), x);
        verify((t, in) -> t.rowNorm(in.get(0)), x);
    }

    @Test
    void cosineSimilarity() {
        verify((t, in) -> t.cosineSimilarity(in.get(0), in.get(1)), rand(3, 5), rand(3, 5));
    }

    @Test
    void rmsNorm() {
        int c = between(2, 8);
        verify((t, in) -> t.rmsNorm(in.get(0), in.get(1), 1e-5), rand(3, c), randIn(0.5, 1.5, c));
        verify((t, in) -> t.rmsNorm(in.get(0), null, 1e-2), rand(2, c));
    }

    @Test
    void ropeBothLayoutsWithOffsetsAndScaledFrequencies() {
        int hs = 6, heads = 2;
        for (RopeLayout layout : RopeLayout.values()) {
            RopeFrequencies standard = RopeFrequencies.standard(hs, 10000, layout);
            verify((t, in) -> t.rope(in.get(0), standard, 3), rand(4, heads * hs));
            RopeFrequencies scaled = new RopeFrequencies(hs, layout, new double[] {0.9, 0.21, 0.013});
            verify((t, in) -> t.rope(in.get(0), scaled, new int[] {7, 0, 2}), rand(3, heads * hs));
        }
    }

    @Test
    void attentionWithGroupedKvHeads() {
        int t = 5, heads = 4, kv = 2, hs = 3;
        verify((tape, in) -> tape.attention(in.get(0), in.get(1), in.get(2), heads, kv, hs),
                randIn(-2, 2, t, heads * hs), randIn(-2, 2, t, kv * hs), rand(t, kv * hs));
        verify((tape, in) -> tape.attention(in.get(0), in.get(1), in.get(2), 2, 2, 4),
                randIn(-2, 2, 3, 8), randIn(-2, 2, 3, 8), rand(3, 8));
    }

    @Test
    void softmaxAndLogSoftmax() {
        Input x = randIn(-3, 3, between(1, 4), between(2, 6));
        verify((t, in) -> t.softmax(in.get(0)), x);
        verify((t, in) -> t.logSoftmax(in.get(0)), x);
    }

    @Test
    void embeddingScattersRepeatedIds() {
        verify((t, in) -> t.embedding(in.get(0), new int[] {2, 0, 2, 3}), rand(4, 3));
    }

    @Test
    void shapes() {
        verify((t, in) -> t.concat(0, in.get(0), in.get(1)), rand(2, 3), rand(4, 3));
        verify((t, in) -> t.concat(-1, in.get(0), in.get(1), in.get(0)), rand(2, 3), rand(2, 1));
        verify((t, in) -> t.slice(in.get(0), 1, 1, 3), rand(3, 4));
        verify((t, in) -> t.slice(in.get(0), 0, 2, 3), rand(3, 4));
        verify((t, in) -> t.mul(t.reshape(in.get(0), 3, -1), in.get(1)), rand(2, 6), rand(3, 4));
    }

    @Test
    void crossEntropyIgnoringPadding() {
        verify((t, in) -> t.crossEntropy(in.get(0), new int[] {1, -1, 4, 0}), randIn(-2, 2, 4, 5));
    }

    @Test
    void klDivergenceBothDirectionsAndMask() {
        GradCheck.Graph forward = (t, in) -> t.klDivergence(t.logSoftmax(in.get(0)), t.logSoftmax(in.get(1)));
        GradCheck.Graph reverse = (t, in) -> t.klDivergence(t.logSoftmax(in.get(1)), t.logSoftmax(in.get(0)));
        GradCheck.Graph masked = (t, in) -> t.klDivergence(t.logSoftmax(in.get(0)), t.logSoftmax(in.get(1)),
                new boolean[] {true, false, true});
        GradCheck.Graph raw = (t, in) -> t.klDivergence(in.get(0), in.get(1));
        Input a = randIn(-2, 2, 3, 4), b = randIn(-2, 2, 3, 4);
        verify(forward, a, b);
        verify(reverse, a, b);
        verify(masked, a, b);
        verify(raw, randIn(-2, 0, 3, 4), randIn(-2, 0, 3, 4));
    }

    @Test
    void pairwiseDistancesAndMmd() {
        verify((t, in) -> t.pairwiseSquaredDistances(in.get(0), in.get(1)), rand(3, 4), rand(2, 4));
        verify((t, in) -> t.mmdSquared(in.get(0), in.get(1), 2.0), randIn(-2, 2, 4, 3), randIn(-1, 3, 3, 3));
    }

    @Test
    void smallTransformerBlockEndToEnd() {
        int t = 4, dim = 8, heads = 2, kv = 1, hs = 4, hidden = 6, vocab = 5;
        RopeFrequencies rope = RopeFrequencies.standard(hs, 10000, RopeLayout.NORMAL);
        GradCheck.Graph block = (tape, in) -> {
            Var x = tape.embedding(in.get(0), new int[] {1, 3, 0, 3});
            Var h = tape.rmsNorm(x, in.get(1), 1e-5);
            Var q = tape.rope(tape.linear(h, in.get(2)), rope, 0);
            Var k = tape.rope(tape.linear(h, in.get(3)), rope, 0);
            Var v = tape.linear(h, in.get(4));
            x = tape.add(x, tape.linear(tape.attention(q, k, v, heads, kv, hs), in.get(5)));
            Var f = tape.rmsNorm(x, in.get(1), 1e-5);
            x = tape.add(x, tape.linear(tape.swiglu(tape.linear(f, in.get(6)), tape.linear(f, in.get(7))), in.get(8)));
            return tape.crossEntropy(tape.linear(x, in.get(0)), new int[] {3, 0, 3, 2});
        };
        verify(block, rand(vocab, dim), randIn(0.5, 1.5, dim), rand(heads * hs, dim), rand(kv * hs, dim),
                rand(kv * hs, dim), rand(dim, heads * hs), rand(hidden, dim), rand(hidden, dim), rand(dim, hidden));
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
