package io.jsteer.tensor.autograd;

import io.jsteer.tensor.FloatTensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Forward values a wrong op would get wrong (finite differences only prove self-consistency). */
class OpValueTest {

    private final Tape tape = new Tape(Precision.F64);

    private Var c(double[] v, int... shape) {
        return tape.constant(v, shape);
    }

    @Test
    void matmulAndLinear() {
        Var a = c(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Var b = c(new double[] {1, 0, 0, 1, 1, 1}, 3, 2);
        assertArrayEquals(new double[] {4, 5, 10, 11}, tape.matmul(a, b).toDoubleArray(), 1e-12);
        Var w = c(new double[] {1, 0, 1, 0, 1, 1}, 2, 3); // [out=2, in=3]
        assertArrayEquals(new double[] {4, 5, 10, 11}, tape.linear(a, w).toDoubleArray(), 1e-12);
        FloatTensor frozen = FloatTensor.of(new float[] {1, 0, 1, 0, 1, 1});
        assertArrayEquals(new double[] {4, 5, 10, 11}, tape.linear(a, frozen, 2).toDoubleArray(), 1e-12);
    }

    @Test
    void rmsNorm() {
        // x = (3, 4): mean square 12.5
        Var y = tape.rmsNorm(c(new double[] {3, 4}, 1, 2), c(new double[] {1, 2}, 2), 0);
        double s = 1 / Math.sqrt(12.5);
        assertArrayEquals(new double[] {3 * s, 8 * s}, y.toDoubleArray(), 1e-12);
    }

    @Test
    void ropeRotatesTheRightPairs() {
        // head size 4, frequencies (1, 0.5); position 2 → angles 2 and 1
        double[] x = {1, 2, 3, 4};
        double c2 = Math.cos(2), s2 = Math.sin(2), c1 = Math.cos(1), s1 = Math.sin(1);
        Var normal = tape.rope(c(x, 1, 4), new RopeFrequencies(4, RopeLayout.NORMAL, new double[] {1, 0.5}), 2);
        assertArrayEquals(new double[] {1 * c2 - 2 * s2, 1 * s2 + 2 * c2, 3 * c1 - 4 * s1, 3 * s1 + 4 * c1},
                normal.toDoubleArray(), 1e-12);
        Var neox = tape.rope(c(x, 1, 4), new RopeFrequencies(4, RopeLayout.NEOX, new double[] {1, 0.5}), 2);
        assertArrayEquals(new double[] {1 * c2 - 3 * s2, 2 * c1 - 4 * s1, 1 * s2 + 3 * c2, 2 * s1 + 4 * c1},
                neox.toDoubleArray(), 1e-12);
        double[] standard = RopeFrequencies.standard(4, 10000, RopeLayout.NORMAL).freqs();
        assertArrayEquals(new double[] {1, 0.01}, standard, 1e-15);
    }

    @Test
    void attentionAveragesVisibleValues() {
        // identical keys → uniform weights over the visible prefix
        Var q = c(new double[] {1, 0, 0, 1, 1, 1}, 3, 2);
        Var k = c(new double[] {1, 1, 1, 1, 1, 1}, 3, 2);
        Var v = c(new double[] {1, 10, 2, 20, 6, 60}, 3, 2);
        Var y = tape.attention(q, k, v, 1, 1, 2);
        assertArrayEquals(new double[] {1, 10, 1.5, 15, 3, 30}, y.toDoubleArray(), 1e-12);
    }

    @Test
    void attentionIsCausal() {
        int t = 6, heads = 4, kv = 2, hs = 4;
        Random rng = new Random(7);
        double[] q = random(rng, t * heads * hs), k = random(rng, t * kv * hs), v = random(rng, t * kv * hs);
        double[] before = tape.attention(c(q, t, heads * hs), c(k, t, kv * hs), c(v, t, kv * hs), heads, kv, hs).toDoubleArray();
        // change the last token's key and value
        for (int i = (t - 1) * kv * hs; i < t * kv * hs; i++) {
            k[i] += 3;
            v[i] -= 5;
        }
        double[] after = tape.attention(c(q, t, heads * hs), c(k, t, kv * hs), c(v, t, kv * hs), heads, kv, hs).toDoubleArray();
        int earlier = (t - 1) * heads * hs;
        for (int i = 0; i < earlier; i++) {
            assertEquals(before[i], after[i], 0, "row " + i / (heads * hs) + " saw the future");
        }
        double lastRowChange = 0;
        for (int i = earlier; i < before.length; i++) {
            lastRowChange += Math.abs(before[i] - after[i]);
        }
        assertEquals(true, lastRowChange > 1e-3, "the last row must see its own token");
    }

    @Test
    void gqaQueryHeadsShareTheirGroupsKv() {
        // 2 query heads, 1 kv head: both heads read the same v, so with one token both output v
        Var y = tape.attention(c(new double[] {1, 2, 3, 4}, 1, 4), c(new double[] {5, 6}, 1, 2),
                c(new double[] {7, 8}, 1, 2), 2, 1, 2);
        assertArrayEquals(new double[] {7, 8, 7, 8}, y.toDoubleArray(), 1e-12);
    }

    @Test
    void softmaxFamily() {
        Var x = c(new double[] {0, Math.log(3), 1000, 1000}, 2, 2);
        assertArrayEquals(new double[] {0.25, 0.75, 0.5, 0.5}, tape.softmax(x).toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)},
                tape.logSoftmax(x).toDoubleArray(), 1e-12);
    }

    @Test
    void crossEntropyMeanSkipsIgnoredRows() {
        Var logits = c(new double[] {0, 0, 0, Math.log(3), 5, 5}, 3, 2);
        double expected = (Math.log(2) + -Math.log(0.75)) / 2;
        assertEquals(expected, tape.crossEntropy(logits, new int[] {0, 1, -1}).item(), 1e-12);
    }

    @Test
    void klDivergenceDirectionsAndMask() {
        Var p = c(new double[] {Math.log(0.5), Math.log(0.5), Math.log(0.9), Math.log(0.1)}, 2, 2);
        Var q = c(new double[] {Math.log(0.25), Math.log(0.75), Math.log(0.9), Math.log(0.1)}, 2, 2);
        double pq = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
        double qp = 0.25 * Math.log(0.25 / 0.5) + 0.75 * Math.log(0.75 / 0.5);
        assertEquals(pq / 2, tape.klDivergence(p, q).item(), 1e-12);
        assertEquals(qp / 2, tape.klDivergence(q, p).item(), 1e-12);
        assertEquals(pq, tape.klDivergence(p, q, new boolean[] {true, false}).item(), 1e-12);
    }

    @Test
    void mmdMatchesTheSpecExample() {
        Var x = c(new double[] {0, 0, 2, 0}, 2, 2);
        Var y = c(new double[] {0, 2}, 1, 2);
        assertEquals(0.828855, tape.mmdSquared(x, y, 2).item(), 1e-6);
        assertEquals(0, tape.mmdSquared(x, x, 2).item(), 1e-15);
        assertArrayEquals(new double[] {4, 8}, tape.pairwiseSquaredDistances(x, y).toDoubleArray(), 1e-12);
    }

    @Test
    void rowNormAndCosine() {
        Var a = c(new double[] {3, 4, 1, 0}, 2, 2);
        Var b = c(new double[] {4, 3, 0, 2}, 2, 2);
        assertArrayEquals(new double[] {5, 1}, tape.rowNorm(a).toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {24.0 / 25, 0}, tape.cosineSimilarity(a, b).toDoubleArray(), 1e-12);
    }

    @Test
    void embeddingConcatSlice() {
        FloatTensor table = FloatTensor.of(new float[] {0, 1, 10, 11, 20, 21});
        Var e = tape.embedding(table, 2, new int[] {2, 0});
        assertArrayEquals(new double[] {20, 21, 0, 1}, e.toDoubleArray());
        Var cat = tape.concat(1, e, c(new double[] {7, 8}, 2, 1));
        assertArrayEquals(new double[] {20, 21, 7, 0, 1, 8}, cat.toDoubleArray());
        assertArrayEquals(new double[] {21, 7, 1, 8}, tape.slice(cat, 1, 1, 3).toDoubleArray());
        assertArrayEquals(new double[] {0, 1, 8}, tape.slice(cat, 0, 1, 2).toDoubleArray());
    }

    @Test
    void activations() {
        Var x = c(new double[] {-1, 0, 2}, 3);
        double s = 1 / (1 + Math.exp(1));
        assertArrayEquals(new double[] {s, 0.5, 1 / (1 + Math.exp(-2))}, tape.sigmoid(x).toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {-s, 0, 2 / (1 + Math.exp(-2))}, tape.silu(x).toDoubleArray(), 1e-12);
        assertArrayEquals(new double[] {-s * 4, 0, 2 / (1 + Math.exp(-2)) * 6},
                tape.swiglu(x, c(new double[] {4, 5, 6}, 3)).toDoubleArray(), 1e-12);
    }

    private static double[] random(Random rng, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian();
        }
        return v;
    }
}
