package io.jsteer.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU kernels of the inference path: matrix-vector products over stored weights of any
 * {@link DType} (row-parallel), and the small vectorised float-array operations around them.
 * Stateless; all buffers belong to the caller.
 */
public final class Kernels {

    private static final VectorSpecies<Float> F = VectorSupport.Species.F;
    /**
     * Multiply-adds per task below which handing work to another thread costs more than it
     * saves (a wake-up is a few microseconds; 32K multiply-adds take about as long).
     */
    public static final int MIN_WORK_PER_TASK = 1 << 15;

    private Kernels() {}

    /**
     * out[r] = sum_c w[r][c] * x[c] for r in [0, rows): {@code w} is {@code [rows][cols]} row-major.
     * Quantized weights take the integer path: x is quantized once here, every row in integers.
     */
    public static void matvec(FloatTensor w, float[] x, float[] out, int rows, int cols, Parallel par) {
        checkMatrix(w, rows, cols);
        int grain = Math.max(1, MIN_WORK_PER_TASK / cols);
        if (w instanceof QuantizedTensor qw) {
            Q8Activations a = Q8Activations.of(x, 0, cols, qw.dtype().activationBlock());
            par.forRangeBalanced(rows, grain, (start, end) -> qw.matvecRows(a, out, start, end, cols));
        } else {
            par.forRangeBalanced(rows, grain, (start, end) -> w.matvecRows(x, out, start, end, cols));
        }
    }

    /**
     * Several matrix-vector products over the same input in one parallel region (e.g. Q, K and V,
     * or the gate and up projections): {@code outs[m][r] = ws[m][r] · x}. One region instead of
     * several halves the synchronisation per layer and balances the work across threads. The
     * input is quantized once per activation layout the weights need (mixed files such as Q4_K_M
     * put Q4_K and Q6_K side by side, which share one).
     */
    public static void matvecs(FloatTensor[] ws, float[] x, float[][] outs, int[] rows, int cols, Parallel par) {
        int total = 0;
        Q8Activations[] acts = new Q8Activations[ws.length];
        for (int m = 0; m < ws.length; m++) {
            checkMatrix(ws[m], rows[m], cols);
            total += rows[m];
            if (ws[m] instanceof QuantizedTensor qw) {
                int block = qw.dtype().activationBlock();
                for (int k = 0; k < m && acts[m] == null; k++) {
                    if (acts[k] != null && acts[k].block() == block) {
                        acts[m] = acts[k];
                    }
                }
                if (acts[m] == null) {
                    acts[m] = Q8Activations.of(x, 0, cols, block);
                }
            }
        }
        par.forRangeBalanced(total, Math.max(1, MIN_WORK_PER_TASK / cols), (start, end) -> {
            int base = 0;
            for (int m = 0; m < ws.length; m++) {
                int lo = Math.max(start, base), hi = Math.min(end, base + rows[m]);
                if (lo < hi) {
                    if (acts[m] != null) {
                        ((QuantizedTensor) ws[m]).matvecRows(acts[m], outs[m], lo - base, hi - base, cols);
                    } else {
                        ws[m].matvecRows(x, outs[m], lo - base, hi - base, cols);
                    }
                }
                base += rows[m];
            }
        });
    }

    /**
     * Batched product for prefill: {@code out[b][r] = w[r] · x[b]} for every b in [0, batch).
     * Rows go in tiles of {@link Gemm#ROWS}, each decoded once into floats and multiplied with
     * every token by the register-blocked {@link Gemm} kernel. Quantized weights meet their
     * activations quantized to 8 bits as in {@link #matvec} (each token quantized once), so that
     * prefill computes what decode computes, up to the order of float additions.
     */
    public static void matmul(FloatTensor w, float[][] x, float[][] out, int batch, int rows, int cols, Parallel par) {
        matmuls(new FloatTensor[] {w}, x, new float[][][] {out}, batch, new int[] {rows}, cols, par);
    }

    /**
     * Several batched products over the same inputs in one parallel region (Q, K and V, or gate
     * and up, for a chunk of prompt tokens): {@code outs[m][b][r] = ws[m][r] · x[b]}. As
     * {@link #matvecs}: one region instead of several, and the tokens quantized once per
     * activation layout the weights need.
     */
    public static void matmuls(FloatTensor[] ws, float[][] x, float[][][] outs, int batch, int[] rows, int cols, Parallel par) {
        if (batch == 0) {
            return;
        }
        int[] firstTile = new int[ws.length + 1];
        float[][] xf = new float[ws.length][]; // per matrix: the rows its kernel reads, back to back ([batch][width])
        Q8Activations[][] acts = new Q8Activations[ws.length][];
        for (int m = 0; m < ws.length; m++) {
            checkMatrix(ws[m], rows[m], cols);
            firstTile[m + 1] = firstTile[m] + (rows[m] + Gemm.ROWS - 1) / Gemm.ROWS;
            if (ws[m] instanceof QuantizedTensor qw) {
                int block = qw.dtype().activationBlock();
                for (int k = 0; k < m && acts[m] == null; k++) {
                    if (acts[k] != null && acts[k][0].block() == block) {
                        acts[m] = acts[k];
                        if (ws[k].dtype() == qw.dtype()) {
                            xf[m] = xf[k];
                        }
                    }
                }
                if (acts[m] == null) {
                    acts[m] = new Q8Activations[batch];
                    for (int b = 0; b < batch; b++) {
                        acts[m][b] = Q8Activations.of(x[b], 0, cols, block);
                    }
                }
                if (xf[m] == null) {
                    xf[m] = qw.floatActivations(acts[m], batch, cols);
                }
            } else {
                for (int k = 0; k < m && xf[m] == null; k++) {
                    if (!(ws[k] instanceof QuantizedTensor)) {
                        xf[m] = xf[k];
                    }
                }
                if (xf[m] == null) {
                    xf[m] = Gemm.flatten(x, batch, cols);
                }
            }
        }
        int grain = Math.max(1, MIN_WORK_PER_TASK / (Gemm.ROWS * cols * batch));
        par.forRangeBalanced(firstTile[ws.length], grain, (start, end) -> {
            for (int m = 0; m < ws.length; m++) {
                int lo = Math.max(start, firstTile[m]), hi = Math.min(end, firstTile[m + 1]);
                if (lo < hi) {
                    int r0 = (lo - firstTile[m]) * Gemm.ROWS, r1 = Math.min(rows[m], (hi - firstTile[m]) * Gemm.ROWS);
                    matmulRows(ws[m], xf[m], outs[m], batch, r0, r1, cols);
                }
            }
        });
    }

    /** Rows [rowStart, rowEnd) of a batched product, tile by tile; {@code xf} as {@link #matmuls} prepares it. */
    private static void matmulRows(FloatTensor w, float[] xf, float[][] out, int batch, int rowStart, int rowEnd, int cols) {
        if (w instanceof QuantizedTensor qw) {
            qw.matmulTiles(xf, out, batch, rowStart, rowEnd, cols);
            return;
        }
        float[] tile = new float[Gemm.ROWS * cols]; // [ROWS][cols]
        Gemm.Panel panel = new Gemm.Panel();
        for (int r0 = rowStart; r0 < rowEnd; r0 += Gemm.ROWS) {
            int n = Math.min(Gemm.ROWS, rowEnd - r0);
            w.copyTo((long) r0 * cols, tile, 0, n * cols);
            Gemm.multiply(tile, n, cols, xf, batch, out, r0, panel);
        }
    }

    private static void checkMatrix(FloatTensor w, int rows, int cols) {
        if ((long) rows * cols > w.size()) {
            throw new IllegalArgumentException("matrix [" + rows + "][" + cols + "] does not fit in " + w);
        }
    }

    /** o = weight ⊙ x / sqrt(mean(x²) + eps), over n values. {@code o} may be {@code x}. */
    public static void rmsnorm(float[] o, float[] x, FloatTensor weight, int n, float eps) {
        float ss = dot(x, 0, x, 0, n) / n + eps;
        float inv = (float) (1.0 / Math.sqrt(ss));
        for (int i = 0; i < n; i++) {
            o[i] = weight.getFloat(i) * (inv * x[i]);
        }
    }

    /** Same with the weights already in a float array (hot path: norms are copied once at load). */
    public static void rmsnorm(float[] o, float[] x, float[] weight, int n, float eps) {
        float ss = dot(x, 0, x, 0, n) / n + eps;
        float inv = (float) (1.0 / Math.sqrt(ss));
        int i = 0;
        for (int bound = n - F.length(); i <= bound; i += F.length()) {
            FloatVector.fromArray(F, x, i).mul(inv).mul(FloatVector.fromArray(F, weight, i)).intoArray(o, i);
        }
        for (; i < n; i++) {
            o[i] = weight[i] * (inv * x[i]);
        }
    }

    /** In-place softmax of x[offset .. offset+n), max-subtracted for stability. */
    public static void softmax(float[] x, int offset, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < n; i++) {
            x[offset + i] *= inv;
        }
    }

    /** sum_i a[ao + i] * b[bo + i]. */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(F);
        for (int bound = n - F.length(); i <= bound; i += F.length()) {
            acc = FloatVector.fromArray(F, a, ao + i).fma(FloatVector.fromArray(F, b, bo + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /**
     * Attention scores of one query against {@code count} keys stored {@code stride} apart:
     * {@code out[oo + i] = scale · q[qo ..] · keys[k0 + i·stride ..]} over n values. Four keys at a
     * time, each with its own accumulator: a head is only 64–128 values, and one key's chain of
     * eight to sixteen dependent FMAs would leave the FMA units waiting on their own latency.
     */
    public static void attentionScores(float[] q, int qo, float[] keys, int k0, int stride, int count, int n,
                                       float scale, float[] out, int oo) {
        int lanes = F.length(), vn = n - n % lanes, i = 0;
        for (; i + 4 <= count; i += 4) {
            int a = k0 + i * stride, b = a + stride, c = b + stride, d = c + stride;
            FloatVector sa = FloatVector.zero(F), sb = sa, sc = sa, sd = sa;
            for (int j = 0; j < vn; j += lanes) {
                FloatVector v = FloatVector.fromArray(F, q, qo + j);
                sa = v.fma(FloatVector.fromArray(F, keys, a + j), sa);
                sb = v.fma(FloatVector.fromArray(F, keys, b + j), sb);
                sc = v.fma(FloatVector.fromArray(F, keys, c + j), sc);
                sd = v.fma(FloatVector.fromArray(F, keys, d + j), sd);
            }
            float ra = sa.reduceLanes(VectorOperators.ADD), rb = sb.reduceLanes(VectorOperators.ADD);
            float rc = sc.reduceLanes(VectorOperators.ADD), rd = sd.reduceLanes(VectorOperators.ADD);
            for (int j = vn; j < n; j++) {
                float v = q[qo + j];
                ra += v * keys[a + j];
                rb += v * keys[b + j];
                rc += v * keys[c + j];
                rd += v * keys[d + j];
            }
            out[oo + i] = ra * scale;
            out[oo + i + 1] = rb * scale;
            out[oo + i + 2] = rc * scale;
            out[oo + i + 3] = rd * scale;
        }
        for (; i < count; i++) {
            out[oo + i] = dot(q, qo, keys, k0 + i * stride, n) * scale;
        }
    }

    /**
     * The attention-weighted sum of {@code count} value rows stored {@code stride} apart:
     * {@code out[oo + j] += Σ_i p[po + i] · values[v0 + i·stride + j]} for j in [0, n). The output
     * stays in four vector registers while the positions stream past (n in slices of four
     * vectors), where an axpy per position loads and stores the whole output each time.
     */
    public static void weightedSum(float[] p, int po, float[] values, int v0, int stride, int count, int n,
                                   float[] out, int oo) {
        int lanes = F.length(), j = 0;
        for (; j + 4 * lanes <= n; j += 4 * lanes) {
            int o = oo + j;
            FloatVector a = FloatVector.fromArray(F, out, o), b = FloatVector.fromArray(F, out, o + lanes);
            FloatVector c = FloatVector.fromArray(F, out, o + 2 * lanes), d = FloatVector.fromArray(F, out, o + 3 * lanes);
            for (int i = 0, at = v0 + j; i < count; i++, at += stride) {
                FloatVector w = FloatVector.broadcast(F, p[po + i]);
                a = FloatVector.fromArray(F, values, at).fma(w, a);
                b = FloatVector.fromArray(F, values, at + lanes).fma(w, b);
                c = FloatVector.fromArray(F, values, at + 2 * lanes).fma(w, c);
                d = FloatVector.fromArray(F, values, at + 3 * lanes).fma(w, d);
            }
            a.intoArray(out, o);
            b.intoArray(out, o + lanes);
            c.intoArray(out, o + 2 * lanes);
            d.intoArray(out, o + 3 * lanes);
        }
        for (; j + lanes <= n; j += lanes) {
            FloatVector a = FloatVector.fromArray(F, out, oo + j);
            for (int i = 0, at = v0 + j; i < count; i++, at += stride) {
                a = FloatVector.fromArray(F, values, at).fma(FloatVector.broadcast(F, p[po + i]), a);
            }
            a.intoArray(out, oo + j);
        }
        for (; j < n; j++) {
            float sum = out[oo + j];
            for (int i = 0; i < count; i++) {
                sum += p[po + i] * values[v0 + i * stride + j];
            }
            out[oo + j] = sum;
        }
    }

    /** y[yo + i] += alpha * x[xo + i]. */
    public static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        for (int bound = n - F.length(); i <= bound; i += F.length()) {
            FloatVector.fromArray(F, x, xo + i).fma(FloatVector.broadcast(F, alpha), FloatVector.fromArray(F, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    /** y[i] += x[i] for i in [0, n). */
    public static void add(float[] y, float[] x, int n) {
        axpy(1f, x, 0, y, 0, n);
    }

    /** SwiGLU in place: gate[i] = silu(gate[i]) * up[i]. */
    public static void swiglu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /** Euclidean norm of x[0..n). */
    public static float norm(float[] x, int n) {
        return (float) Math.sqrt(dot(x, 0, x, 0, n));
    }
}
