package io.jsteer.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.annotations.Parallel;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.Int8Array;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * The device kernels of the engine, each the twin of a CPU kernel in io.jsteer.tensor.Kernels,
 * io.jsteer.model.RopeTable or {@link HostSteering}. TornadoVM compiles these methods to OpenCL C
 * or PTX; they may only use what it can translate (no objects, no allocation, no exceptions).
 * Scalar arguments are baked into the compiled kernel, so anything that changes per token (the
 * position) travels in an {@link IntArray}.
 *
 * <p>Reductions use local memory: a work-group of {@code localSize} threads (a power of two) sums
 * partial values with a tree and barriers. The matrix-vector kernels give each work-group a band
 * of {@code localSize / rowThreads} rows, {@code rowThreads} threads per row, so that a narrow
 * matrix does not leave most of a group idle.
 */
public final class TornadoKernels {

    private TornadoKernels() {}

    /** 2^-25: the float16 value (1024 + mantissa) * 2^(exponent - 25), exactly representable. */
    private static final float TWO_TO_MINUS_25 = 2.9802322387695312E-8f;

    /**
     * float16 bits to float by exact arithmetic (OpenCL C here has no bit reinterpretation from
     * TornadoVM, and PoCL 3.1 no FP16): (1024 + m) · 2^(e-25) for normals, m · 2^-24 for
     * subnormals, the power of two built from exact products. Inf/NaN are not expected in weights.
     */
    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int e = (bits >> 10) & 0x1F;
        int m = bits & 0x3FF;
        float significand = e == 0 ? m : 1024 + m;
        int k = e == 0 ? 1 : e;
        float p = 1f;
        if ((k & 1) != 0) {
            p *= 2f;
        }
        if ((k & 2) != 0) {
            p *= 4f;
        }
        if ((k & 4) != 0) {
            p *= 16f;
        }
        if ((k & 8) != 0) {
            p *= 256f;
        }
        if ((k & 16) != 0) {
            p *= 65536f;
        }
        float v = significand * p * TWO_TO_MINUS_25;
        return (bits & 0x8000) != 0 ? -v : v;
    }

    /**
     * out[outOffset + row] = W[row, :] · x for W [rows][cols] in float32, or += with
     * {@code accumulate == 1} (the residual add folded into the projection). The offset lets
     * several matrices fill one output vector (q|k|v, gate|up) when they cannot be stacked.
     */
    public static void matvecF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray out,
                                 int rows, int cols, int localSize, int rowThreads,
                                 int outOffset, int accumulate) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        int sub = lid % rowThreads;
        int row = ctx.groupIdx * (localSize / rowThreads) + lid / rowThreads;
        float sum = 0f;
        if (row < rows) {
            int base = row * cols;
            for (int j = sub; j < cols; j += rowThreads) {
                sum += w.get(base + j) * x.get(j);
            }
        }
        part[lid] = sum;
        ctx.localBarrier();
        for (int s = rowThreads / 2; s > 0; s >>= 1) {
            if (sub < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        if (sub == 0 && row < rows) {
            out.set(outOffset + row, accumulate == 1 ? out.get(outOffset + row) + part[lid] : part[lid]);
        }
    }

    /** out[outOffset + row] += scale · (W[row, :] · x), float32 W: the second half of a LoRA side path. */
    public static void matvecAddScaledF32(KernelContext ctx, FloatArray w, FloatArray x, FloatArray out,
                                          int rows, int cols, int localSize, int rowThreads, int outOffset, float scale) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        int sub = lid % rowThreads;
        int row = ctx.groupIdx * (localSize / rowThreads) + lid / rowThreads;
        float sum = 0f;
        if (row < rows) {
            int base = row * cols;
            for (int j = sub; j < cols; j += rowThreads) {
                sum += w.get(base + j) * x.get(j);
            }
        }
        part[lid] = sum;
        ctx.localBarrier();
        for (int s = rowThreads / 2; s > 0; s >>= 1) {
            if (sub < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        if (sub == 0 && row < rows) {
            out.set(outOffset + row, out.get(outOffset + row) + scale * part[lid]);
        }
    }

    /** {@link #matvecF32} for W [rows][cols] as float16 bits. */
    public static void matvecF16(KernelContext ctx, ShortArray w, FloatArray x, FloatArray out,
                                 int rows, int cols, int localSize, int rowThreads,
                                 int outOffset, int accumulate) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        int sub = lid % rowThreads;
        int row = ctx.groupIdx * (localSize / rowThreads) + lid / rowThreads;
        float sum = 0f;
        if (row < rows) {
            int base = row * cols;
            for (int j = sub; j < cols; j += rowThreads) {
                sum += halfToFloat(w.get(base + j)) * x.get(j);
            }
        }
        part[lid] = sum;
        ctx.localBarrier();
        for (int s = rowThreads / 2; s > 0; s >>= 1) {
            if (sub < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        if (sub == 0 && row < rows) {
            out.set(outOffset + row, accumulate == 1 ? out.get(outOffset + row) + part[lid] : part[lid]);
        }
    }

    /**
     * {@link #matvecF32} for Q8_0 W: {@code quants} [rows*cols] signed bytes, {@code scales}
     * [rows*cols/32] one per block of 32 consecutive values (GGUF's layout, split in two arrays so
     * that every load is aligned).
     */
    public static void matvecQ8(KernelContext ctx, Int8Array quants, FloatArray scales, FloatArray x, FloatArray out,
                                int rows, int cols, int localSize, int rowThreads,
                                 int outOffset, int accumulate) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        int sub = lid % rowThreads;
        int row = ctx.groupIdx * (localSize / rowThreads) + lid / rowThreads;
        float sum = 0f;
        if (row < rows) {
            int base = row * cols;
            for (int j = sub; j < cols; j += rowThreads) {
                int i = base + j;
                sum += quants.get(i) * scales.get(i >> 5) * x.get(j);
            }
        }
        part[lid] = sum;
        ctx.localBarrier();
        for (int s = rowThreads / 2; s > 0; s >>= 1) {
            if (sub < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        if (sub == 0 && row < rows) {
            out.set(outOffset + row, accumulate == 1 ? out.get(outOffset + row) + part[lid] : part[lid]);
        }
    }

    /**
     * out = weight[weightOffset ..] ⊙ x / sqrt(mean(x²) + eps), one work-group of {@code localSize}
     * threads (launch exactly one group).
     */
    public static void rmsnorm(KernelContext ctx, FloatArray out, FloatArray x, FloatArray weight, int weightOffset,
                               int dim, float eps, int localSize) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        float ss = 0f;
        for (int j = lid; j < dim; j += localSize) {
            float v = x.get(j);
            ss += v * v;
        }
        part[lid] = ss;
        ctx.localBarrier();
        for (int s = localSize / 2; s > 0; s >>= 1) {
            if (lid < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        float inv = 1f / TornadoMath.sqrt(part[0] / dim + eps);
        for (int j = lid; j < dim; j += localSize) {
            out.set(j, weight.get(weightOffset + j) * (inv * x.get(j)));
        }
    }

    /**
     * Per-head RMSNorm in place (Qwen3's q_norm / k_norm): the {@code headSize} values of head g at
     * {@code x[xOffset + g·headSize ..]} become weight[weightOffset ..] ⊙ x / sqrt(mean(x²) + eps),
     * one work-group per head (launch as many groups as heads). Every thread reads its values
     * before the first barrier and writes them after the last, so in place is safe.
     */
    public static void headRmsnorm(KernelContext ctx, FloatArray x, int xOffset, FloatArray weight, int weightOffset,
                                   int headSize, float eps, int localSize) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        int base = xOffset + ctx.groupIdx * headSize;
        float ss = 0f;
        for (int j = lid; j < headSize; j += localSize) {
            float v = x.get(base + j);
            ss += v * v;
        }
        part[lid] = ss;
        ctx.localBarrier();
        for (int s = localSize / 2; s > 0; s >>= 1) {
            if (lid < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        float inv = 1f / TornadoMath.sqrt(part[0] / headSize + eps);
        for (int j = lid; j < headSize; j += localSize) {
            x.set(base + j, x.get(base + j) * inv * weight.get(weightOffset + j));
        }
    }

    /** y[yOffset + i] += v[vOffset + i] for i < n (the q/k/v biases, added where the projection wrote). */
    public static void addAt(FloatArray y, int yOffset, FloatArray v, int vOffset, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            y.set(yOffset + i, y.get(yOffset + i) + v.get(vOffset + i));
        }
    }

    /**
     * Rotary embedding of q and k in {@code qkv} = [q: nHeads*headSize | k: kvDim | v: kvDim] at
     * position pos[0], and the write of the rotated key and of v into the layer's cache row
     * {@code (pos mod slots) * kvDim}: the cache is [slots][kvDim], a ring of the last {@code slots}
     * positions with a sliding window ({@code slots} = the capacity without one, so the row is pos).
     * cos/sin are [position][headSize/2]; {@code neox} pairs (i, i+half) instead of neighbours
     * (2i, 2i+1). One array for q, k and v: one projection kernel fills it.
     */
    public static void ropeAndCacheWrite(FloatArray qkv, FloatArray keyCache, FloatArray valueCache,
                                         FloatArray cos, FloatArray sin, IntArray pos,
                                         int nHeads, int nKvHeads, int headSize, int neox, int slots) {
        int half = headSize / 2;
        int p = pos.get(0);
        int slot = p % slots;
        int kvDim = nKvHeads * headSize;
        int ko = nHeads * headSize;
        int vo = ko + kvDim;
        for (@Parallel int i = 0; i < nHeads * half; i++) {
            int h = i / half;
            int pair = i % half;
            int a = neox == 1 ? h * headSize + pair : h * headSize + 2 * pair;
            int b = neox == 1 ? a + half : a + 1;
            float fc = cos.get(p * half + pair);
            float fs = sin.get(p * half + pair);
            float q0 = qkv.get(a);
            float q1 = qkv.get(b);
            qkv.set(a, q0 * fc - q1 * fs);
            qkv.set(b, q0 * fs + q1 * fc);
            if (i < nKvHeads * half) {
                float k0 = qkv.get(ko + a);
                float k1 = qkv.get(ko + b);
                int row = slot * kvDim;
                keyCache.set(row + a, k0 * fc - k1 * fs);
                keyCache.set(row + b, k0 * fs + k1 * fc);
                valueCache.set(row + 2 * i, qkv.get(vo + 2 * i));
                valueCache.set(row + 2 * i + 1, qkv.get(vo + 2 * i + 1));
            }
        }
    }

    /**
     * Attention of one query over cached positions first..pos[0], one work-group per query head; head h
     * reads KV head h / kvGroup. {@code first} is 0, or pos + 1 - window with a sliding window
     * ({@code window} > 0, Mistral v0.1: the query sees itself and the window - 1 positions before).
     * Position t is in cache row t mod {@code slots} (a ring of the window; without a window slots is
     * the capacity and the row is t), the rows seen are distinct since there are at most slots of them.
     * Scores live in {@code att} [nHeads][slots] at the same row (global memory, so the context is not
     * bounded by local memory); max and sum of the softmax are reduced in local memory.
     */
    public static void attention(KernelContext ctx, FloatArray q, FloatArray keyCache, FloatArray valueCache,
                                 FloatArray att, FloatArray out, IntArray pos,
                                 int headSize, int kvDim, int kvGroup, int slots, int window, int localSize) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int h = ctx.groupIdx;
        int lid = ctx.localIdx;
        int n = pos.get(0) + 1;
        int first = window > 0 && n > window ? n - window : 0;
        float scale = 1f / TornadoMath.sqrt(headSize);
        int qo = h * headSize;
        int kvo = (h / kvGroup) * headSize;
        int ao = h * slots;

        float max = Float.NEGATIVE_INFINITY;
        for (int t = first + lid; t < n; t += localSize) {
            int row = t % slots;
            int ko = row * kvDim + kvo;
            float s = 0f;
            for (int d = 0; d < headSize; d++) {
                s += q.get(qo + d) * keyCache.get(ko + d);
            }
            s *= scale;
            att.set(ao + row, s);
            max = TornadoMath.max(max, s);
        }
        part[lid] = max;
        ctx.localBarrier();
        for (int s = localSize / 2; s > 0; s >>= 1) {
            if (lid < s) {
                part[lid] = TornadoMath.max(part[lid], part[lid + s]);
            }
            ctx.localBarrier();
        }
        float m = part[0];
        ctx.localBarrier();

        float sum = 0f;
        for (int t = first + lid; t < n; t += localSize) {
            int row = t % slots;
            float e = TornadoMath.exp(att.get(ao + row) - m);
            att.set(ao + row, e);
            sum += e;
        }
        part[lid] = sum;
        // global: the weights just written to att are read by other threads of the group below
        ctx.globalBarrier();
        for (int s = localSize / 2; s > 0; s >>= 1) {
            if (lid < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        float inv = 1f / part[0];

        for (int d = lid; d < headSize; d += localSize) {
            float acc = 0f;
            int row = first % slots; // walked, not divided, per position
            for (int t = first; t < n; t++) {
                acc += att.get(ao + row) * valueCache.get(row * kvDim + kvo + d);
                row++;
                if (row == slots) {
                    row = 0;
                }
            }
            out.set(qo + d, acc * inv);
        }
    }

    /** gateUp = [gate: n | up: n]; gate = silu(gate) ⊙ up (one projection kernel fills both halves). */
    public static void swiglu(FloatArray gateUp, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            float g = gateUp.get(i);
            gateUp.set(i, g / (1f + TornadoMath.exp(-g)) * gateUp.get(n + i));
        }
    }

    /** y += x (the residual adds). */
    public static void add(FloatArray y, FloatArray x, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            y.set(i, y.get(i) + x.get(i));
        }
    }

    /** x += strength · v[vOffset ..] (activation addition / control vectors). */
    public static void addScaled(FloatArray x, FloatArray v, int vOffset, float strength, int n) {
        for (@Parallel int i = 0; i < n; i++) {
            x.set(i, x.get(i) + strength * v.get(vOffset + i));
        }
    }

    /**
     * Directional ablation x -= strength · (x · d) d for a unit direction d, one work-group.
     * strength 1 removes the component along d entirely.
     */
    public static void ablate(KernelContext ctx, FloatArray x, FloatArray d, int dim, float strength, int localSize) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        float dot = 0f;
        for (int j = lid; j < dim; j += localSize) {
            dot += x.get(j) * d.get(j);
        }
        part[lid] = dot;
        ctx.localBarrier();
        for (int s = localSize / 2; s > 0; s >>= 1) {
            if (lid < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        float c = strength * part[0];
        for (int j = lid; j < dim; j += localSize) {
            x.set(j, x.get(j) - c * d.get(j));
        }
    }

    /**
     * MAT-Steer, step 1: one work-group per attribute t writes the gate logit w_t · a + b_t to
     * gates[t]; group nAttr writes ‖a‖² to gates[nAttr]. All from the unedited activation.
     */
    public static void matSteerGates(KernelContext ctx, FloatArray a, FloatArray gateWeights, FloatArray gateBias,
                                     FloatArray gates, int dim, int nAttr, int localSize) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int t = ctx.groupIdx;
        int lid = ctx.localIdx;
        float acc = 0f;
        for (int j = lid; j < dim; j += localSize) {
            float aj = a.get(j);
            acc += t < nAttr ? gateWeights.get(t * dim + j) * aj : aj * aj;
        }
        part[lid] = acc;
        ctx.localBarrier();
        for (int s = localSize / 2; s > 0; s >>= 1) {
            if (lid < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        if (lid == 0) {
            gates.set(t, t < nAttr ? part[0] + gateBias.get(t) : part[0]);
        }
    }

    /** MAT-Steer, step 2: a' = a + Σ_t sigmoid(gate logit t) · θ_t. */
    public static void matSteerEdit(FloatArray a, FloatArray theta, FloatArray gates, int dim, int nAttr) {
        for (@Parallel int j = 0; j < dim; j++) {
            float v = a.get(j);
            for (int t = 0; t < nAttr; t++) {
                float g = 1f / (1f + TornadoMath.exp(-gates.get(t)));
                v += g * theta.get(t * dim + j);
            }
            a.set(j, v);
        }
    }

    /**
     * MAT-Steer, step 3: rescale a' to the norm of the unedited a (‖a‖² in gates[nAttr]),
     * a' · ‖a‖ / (‖a'‖ + 1e-8); skipped when ‖a'‖ ≤ 1e-8. One work-group.
     */
    public static void matSteerRenorm(KernelContext ctx, FloatArray a, FloatArray gates, int dim, int nAttr, int localSize) {
        float[] part = ctx.allocateFloatLocalArray(localSize);
        int lid = ctx.localIdx;
        float ss = 0f;
        for (int j = lid; j < dim; j += localSize) {
            float v = a.get(j);
            ss += v * v;
        }
        part[lid] = ss;
        ctx.localBarrier();
        for (int s = localSize / 2; s > 0; s >>= 1) {
            if (lid < s) {
                part[lid] += part[lid + s];
            }
            ctx.localBarrier();
        }
        float edited = TornadoMath.sqrt(part[0]);
        if (edited > 1e-8f) {
            float f = TornadoMath.sqrt(gates.get(nAttr)) / (edited + 1e-8f);
            for (int j = lid; j < dim; j += localSize) {
                a.set(j, a.get(j) * f);
            }
        }
    }
}
