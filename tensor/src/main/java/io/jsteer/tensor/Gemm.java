package io.jsteer.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked float32 matrix-matrix product behind prefill: a tile of {@link #ROWS}
 * weight rows (already in floats: an F32 row copied, a half-precision or quantized row decoded
 * once) times every token of the batch. The micro-kernel keeps 4 rows × 2 tokens of partial sums
 * in eight vector registers, so each weight vector loaded feeds two FMAs and each activation
 * vector four: the loop runs on the FMA units, not on loads. Each tile is decoded once and then
 * read from L1 for all tokens (a tile of 4 rows of 2048 floats is 32 KB).
 *
 * <p>Written as one method per kernel shape, over arrays and ints only: C2 keeps the vectors of
 * a method it compiles whole in registers, but boxes them when they cross a call it does not
 * inline (a helper returning a vector, or a method too large for its inlining budget). A
 * 4 × 3 kernel (twelve accumulators) measured 1.4× slower per multiply-add than this 4 × 2 one on
 * AVX2's sixteen registers (0.042 vs 0.030 ns, 768 columns, one thread).
 */
final class Gemm {

    /** Rows per tile. */
    static final int ROWS = 4;

    private static final VectorSpecies<Float> F = VectorSupport.Species.F;

    private Gemm() {}

    /**
     * {@code out[b][r0 + i] = tile[i·cols ..] · x[b]} for i in [0, rows) and b in [0, batch), where
     * {@code tile} holds {@code rows} (≤ {@link #ROWS}) rows of {@code cols} floats.
     */
    static void multiply(float[] tile, int rows, int cols, float[][] x, int batch, float[][] out, int r0) {
        int b = 0;
        if (rows == ROWS && cols % F.length() == 0) {
            for (; b + 2 <= batch; b += 2) {
                rows4tokens2(tile, cols, x[b], x[b + 1], out[b], out[b + 1], r0);
            }
        }
        for (; b < batch; b++) {
            for (int i = 0; i < rows; i++) {
                out[b][r0 + i] = Kernels.dot(tile, i * cols, x[b], 0, cols);
            }
        }
    }

    /** The micro-kernel: rows r0..r0+3 against tokens x0 and x1 (cols a multiple of the vector length). */
    private static void rows4tokens2(float[] w, int cols, float[] x0, float[] x1, float[] o0, float[] o1, int r0) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        int w1 = cols, w2 = 2 * cols, w3 = 3 * cols;
        for (int k = 0; k < cols; k += F.length()) {
            FloatVector a = FloatVector.fromArray(F, x0, k), b = FloatVector.fromArray(F, x1, k);
            FloatVector v = FloatVector.fromArray(F, w, k);
            c00 = v.fma(a, c00);
            c01 = v.fma(b, c01);
            v = FloatVector.fromArray(F, w, w1 + k);
            c10 = v.fma(a, c10);
            c11 = v.fma(b, c11);
            v = FloatVector.fromArray(F, w, w2 + k);
            c20 = v.fma(a, c20);
            c21 = v.fma(b, c21);
            v = FloatVector.fromArray(F, w, w3 + k);
            c30 = v.fma(a, c30);
            c31 = v.fma(b, c31);
        }
        o0[r0] = c00.reduceLanes(VectorOperators.ADD);
        o1[r0] = c01.reduceLanes(VectorOperators.ADD);
        o0[r0 + 1] = c10.reduceLanes(VectorOperators.ADD);
        o1[r0 + 1] = c11.reduceLanes(VectorOperators.ADD);
        o0[r0 + 2] = c20.reduceLanes(VectorOperators.ADD);
        o1[r0 + 2] = c21.reduceLanes(VectorOperators.ADD);
        o0[r0 + 3] = c30.reduceLanes(VectorOperators.ADD);
        o1[r0 + 3] = c31.reduceLanes(VectorOperators.ADD);
    }
}
