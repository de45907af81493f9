package io.jsteer.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked float32 matrix-matrix product behind prefill: a tile of {@link #ROWS}
 * weight rows (already in floats: an F32 row copied, a half-precision or quantized row decoded
 * once) times every token of the batch.
 *
 * <p>Two micro-kernels. The main one is an outer product: a chunk of {@link #KC} columns of the
 * tile is packed column-major ({@code panel[k][ROWS]}, two vectors of rows per column, 16 KB on
 * AVX2, in L1), and for six tokens at a time each column's two weight vectors meet the six
 * tokens' values broadcast, into twelve accumulators that are vectors of output rows. Each weight
 * vector loaded feeds six FMAs and each activation value sixteen rows, so the activations (all of
 * the batch's tokens, megabytes at 512 tokens, in L2 or L3) are read at a quarter of a byte per
 * FMA: the earlier dot-product kernel (4 rows × 2 tokens, below) needed two vectors of them per
 * eight FMAs and at 512 tokens ran at the speed of L3, not of the FMA units. Twelve accumulators,
 * two weight vectors and one broadcast are fifteen of AVX2's sixteen vector registers.
 *
 * <p>The dot-product kernel is kept for what the panel kernel does not cover: batches of fewer
 * than {@link #PANEL_MIN_BATCH} tokens (decoding several sequences, short prompts), where packing
 * costs more than it saves, the last tokens of a batch, and the rows of a partial tile.
 *
 * <p>The batch's activations come back to back in one array ({@link #flatten}).
 *
 * <p>Written as one method per kernel shape, over arrays and ints only: C2 keeps the vectors of
 * a method it compiles whole in registers, but boxes them when they cross a call it does not
 * inline (a helper returning a vector, or a method too large for its inlining budget).
 */
final class Gemm {

    private static final VectorSpecies<Float> F = VectorSupport.Species.F;

    /** Rows per tile: two vectors of rows in the panel kernel (16 on AVX2, 32 with 512-bit vectors). */
    static final int ROWS = 2 * F.length();

    /** Tokens per panel-kernel call. */
    private static final int TOKENS = 6;

    /**
     * Smallest batch for the panel kernel. Packing costs about one scalar move per weight, which
     * a batch pays back only when large: on AVX2 (256 rows × 768 columns, one thread) the panel
     * kernel ran at 0.78× the dot-product kernel at 24 tokens, even at 48, and 1.1–1.25× from 96.
     */
    static final int PANEL_MIN_BATCH = 64;

    /** Columns per packed panel chunk: ROWS × KC floats stay in L1 (16 KB on AVX2). */
    private static final int KC = 256;

    private Gemm() {}

    /** Scratch for {@link #multiply}: one per thread, reused across tiles. */
    static final class Panel {
        final float[] packed = new float[KC * ROWS]; // [KC][ROWS]
    }

    /**
     * {@code out[b][r0 + i] = tile[i·cols ..] · xs[b·cols ..]} for i in [0, rows) and b in [0, batch),
     * where {@code tile} holds {@code rows} (≤ {@link #ROWS}) rows of {@code cols} floats and
     * {@code xs} the batch's activations back to back ({@link #flatten}).
     */
    static void multiply(float[] tile, int rows, int cols, float[] xs, int batch, float[][] out, int r0, Panel panel) {
        int b = 0;
        if (rows == ROWS && batch >= PANEL_MIN_BATCH) {
            b = batch - batch % TOKENS;
            panelProduct(tile, cols, xs, b, out, r0, panel.packed);
        }
        if (b == batch) {
            return;
        }
        int i = 0;
        if (cols % F.length() == 0) {
            for (; i + 4 <= rows; i += 4) {
                int t = b;
                for (; t + 2 <= batch; t += 2) {
                    rows4tokens2(tile, i * cols, cols, xs, t * cols, (t + 1) * cols, out[t], out[t + 1], r0 + i);
                }
                for (; t < batch; t++) {
                    for (int j = i; j < i + 4; j++) {
                        out[t][r0 + j] = Kernels.dot(tile, j * cols, xs, t * cols, cols);
                    }
                }
            }
        }
        for (; i < rows; i++) {
            for (int t = b; t < batch; t++) {
                out[t][r0 + i] = Kernels.dot(tile, i * cols, xs, t * cols, cols);
            }
        }
    }

    /** The first {@code cols} values of each of the batch's rows, back to back: the layout {@link #multiply} reads. */
    static float[] flatten(float[][] x, int batch, int cols) {
        float[] xs = new float[Math.multiplyExact(batch, cols)]; // [batch][cols]
        for (int b = 0; b < batch; b++) {
            System.arraycopy(x[b], 0, xs, b * cols, cols);
        }
        return xs;
    }

    /** The panel path for tokens [0, tokens) (a multiple of {@link #TOKENS}) and a full tile. */
    private static void panelProduct(float[] tile, int cols, float[] xs, int tokens, float[][] out, int r0, float[] packed) {
        for (int k0 = 0; k0 < cols; k0 += KC) {
            int kc = Math.min(KC, cols - k0);
            pack(tile, cols, k0, kc, packed);
            boolean first = k0 == 0;
            for (int t = 0; t < tokens; t += TOKENS) {
                rows2vTokens6(packed, kc, xs, t * cols + k0, cols, first,
                        out[t], out[t + 1], out[t + 2], out[t + 3], out[t + 4], out[t + 5], r0);
            }
        }
    }

    /** packed[k·ROWS + i] = tile[i·cols + k0 + k]: columns k0 .. k0+kc of the tile, column-major. */
    private static void pack(float[] tile, int cols, int k0, int kc, float[] packed) {
        for (int i = 0; i < ROWS; i++) {
            int src = i * cols + k0;
            for (int k = 0; k < kc; k++) {
                packed[k * ROWS + i] = tile[src + k];
            }
        }
    }

    /**
     * The panel micro-kernel: {@code o_t[r0 .. r0+ROWS) (+)= Σ_k panel[k] · xs[x0 + t·stride + k]}
     * for six tokens t, the sums starting from zero on the first chunk and from {@code o_t} after
     * it. The six tokens are read from one array at a stride (not six arrays): with six array
     * references C2 ran out of general registers and the kernel at half speed.
     */
    private static void rows2vTokens6(float[] p, int kc, float[] xs, int x0, int stride, boolean first,
                                      float[] o0, float[] o1, float[] o2, float[] o3, float[] o4, float[] o5, int r0) {
        int l = F.length(), r1 = r0 + l;
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (first) {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = FloatVector.zero(F);
        } else {
            c00 = FloatVector.fromArray(F, o0, r0);
            c01 = FloatVector.fromArray(F, o0, r1);
            c10 = FloatVector.fromArray(F, o1, r0);
            c11 = FloatVector.fromArray(F, o1, r1);
            c20 = FloatVector.fromArray(F, o2, r0);
            c21 = FloatVector.fromArray(F, o2, r1);
            c30 = FloatVector.fromArray(F, o3, r0);
            c31 = FloatVector.fromArray(F, o3, r1);
            c40 = FloatVector.fromArray(F, o4, r0);
            c41 = FloatVector.fromArray(F, o4, r1);
            c50 = FloatVector.fromArray(F, o5, r0);
            c51 = FloatVector.fromArray(F, o5, r1);
        }
        int s = stride;
        for (int k = 0, at = 0, xk = x0; k < kc; k++, at += 2 * l, xk++) {
            FloatVector w0 = FloatVector.fromArray(F, p, at), w1 = FloatVector.fromArray(F, p, at + l);
            FloatVector a = FloatVector.broadcast(F, xs[xk]);
            c00 = w0.fma(a, c00);
            c01 = w1.fma(a, c01);
            a = FloatVector.broadcast(F, xs[xk + s]);
            c10 = w0.fma(a, c10);
            c11 = w1.fma(a, c11);
            a = FloatVector.broadcast(F, xs[xk + 2 * s]);
            c20 = w0.fma(a, c20);
            c21 = w1.fma(a, c21);
            a = FloatVector.broadcast(F, xs[xk + 3 * s]);
            c30 = w0.fma(a, c30);
            c31 = w1.fma(a, c31);
            a = FloatVector.broadcast(F, xs[xk + 4 * s]);
            c40 = w0.fma(a, c40);
            c41 = w1.fma(a, c41);
            a = FloatVector.broadcast(F, xs[xk + 5 * s]);
            c50 = w0.fma(a, c50);
            c51 = w1.fma(a, c51);
        }
        c00.intoArray(o0, r0);
        c01.intoArray(o0, r1);
        c10.intoArray(o1, r0);
        c11.intoArray(o1, r1);
        c20.intoArray(o2, r0);
        c21.intoArray(o2, r1);
        c30.intoArray(o3, r0);
        c31.intoArray(o3, r1);
        c40.intoArray(o4, r0);
        c41.intoArray(o4, r1);
        c50.intoArray(o5, r0);
        c51.intoArray(o5, r1);
    }

    /**
     * The dot-product kernel: rows at {@code w[wo ..]} (four of {@code cols}) against tokens x0 and
     * x1 (cols a multiple of the vector length), eight accumulators reduced at the end.
     */
    private static void rows4tokens2(float[] w, int wo, int cols, float[] xs, int x0, int x1, float[] o0, float[] o1, int r0) {
        FloatVector c00 = FloatVector.zero(F), c01 = FloatVector.zero(F);
        FloatVector c10 = FloatVector.zero(F), c11 = FloatVector.zero(F);
        FloatVector c20 = FloatVector.zero(F), c21 = FloatVector.zero(F);
        FloatVector c30 = FloatVector.zero(F), c31 = FloatVector.zero(F);
        int w1 = wo + cols, w2 = wo + 2 * cols, w3 = wo + 3 * cols;
        for (int k = 0; k < cols; k += F.length()) {
            FloatVector a = FloatVector.fromArray(F, xs, x0 + k), b = FloatVector.fromArray(F, xs, x1 + k);
            FloatVector v = FloatVector.fromArray(F, w, wo + k);
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
