package io.jsteer.weights.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RopePermutationTest {

    @Test
    void handComputedIndicesForHeadSize8() {
        // llama.cpp: reshape(heads, 2, 4, in).swapaxes(1, 2): normal row 2i+j <- neox row j*4+i
        long[] expected = {0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15};
        long[] actual = new long[16];
        for (int r = 0; r < 16; r++) {
            actual[r] = RopePermutation.neoxRowForNormalRow(r, 8);
            assertEquals(r, RopePermutation.normalRowForNeoxRow(actual[r], 8));
        }
        assertArrayEquals(expected, actual);
    }

    @Test
    void normalRopeOnPermutedRowsEqualsPermutedNeoxRope() {
        int headSize = 8, heads = 3, n = headSize * heads;
        Random random = new Random(7);
        float[] neoxQ = new float[n];
        for (int i = 0; i < n; i++) {
            neoxQ[i] = (float) random.nextGaussian();
        }
        float[] normalQ = new float[n];
        for (int r = 0; r < n; r++) {
            normalQ[r] = neoxQ[(int) RopePermutation.neoxRowForNormalRow(r, headSize)];
        }
        for (int pos : new int[] {0, 1, 5, 100}) {
            float[] a = neoxRope(neoxQ, pos, headSize);
            float[] b = normalRope(normalQ, pos, headSize);
            for (int r = 0; r < n; r++) {
                assertEquals(a[(int) RopePermutation.neoxRowForNormalRow(r, headSize)], b[r], 1e-5, "pos " + pos + " row " + r);
            }
        }
    }

    /** Hugging Face rotate_half: dimension i pairs with i + headSize/2, frequency index i. */
    private static float[] neoxRope(float[] x, int pos, int headSize) {
        float[] out = x.clone();
        int half = headSize / 2;
        for (int h = 0; h < x.length / headSize; h++) {
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(10000, -2.0 * i / headSize);
                int a = h * headSize + i, b = a + half;
                out[a] = (float) (x[a] * Math.cos(angle) - x[b] * Math.sin(angle));
                out[b] = (float) (x[a] * Math.sin(angle) + x[b] * Math.cos(angle));
            }
        }
        return out;
    }

    /** run.c / GGML normal mode: adjacent pairs (2i, 2i+1), frequency index i. */
    private static float[] normalRope(float[] x, int pos, int headSize) {
        float[] out = x.clone();
        for (int h = 0; h < x.length / headSize; h++) {
            for (int i = 0; i < headSize / 2; i++) {
                double angle = pos * Math.pow(10000, -2.0 * i / headSize);
                int a = h * headSize + 2 * i, b = a + 1;
                out[a] = (float) (x[a] * Math.cos(angle) - x[b] * Math.sin(angle));
                out[b] = (float) (x[a] * Math.sin(angle) + x[b] * Math.cos(angle));
            }
        }
        return out;
    }
}
