package io.jsteer.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * An activation vector quantized to signed 8-bit values, once per matrix-vector product, so that
 * every row of a quantized weight matrix is multiplied with it in integer arithmetic (llama.cpp's
 * "vec_dot_type"). Two layouts, chosen by the weight type ({@link DType#activationBlock()}):
 * <ul>
 *   <li>block 32 (Q8_0 / Q8_1): per 32 values d = max|x| / 127, q = rint(x / d); d kept rounded to
 *       float16 as llama.cpp stores it;</li>
 *   <li>block 256 (Q8_K): per 256 values d = m / -127 where m is the value of largest magnitude
 *       (with its sign), q = min(127, rint(x / d)); d kept in float32.</li>
 * </ul>
 * Besides q it keeps d per 32 values (repeated inside a 256-block) and d·Σq per 16 values, which
 * turns a weight group's min into one multiply ({@code Σ(q·s − m)·x = s·Σq·x − m·Σx}).
 * A reusable buffer: {@link #quantize} overwrites it.
 */
public final class Q8Activations {

    private final int block;
    final short[] q;     // [capacity]: 8-bit values kept in 16-bit lanes, which every row's product loads directly
    final float[] d;     // [capacity / 32]
    final float[] sum16; // [capacity / 16]: d * sum of q over each 16 values
    final float[] sum32; // [capacity / 32]: d * sum of q over each 32 values (block 32: rounded to float16, as Q8_1's s)
    private int length;

    /** A buffer for up to {@code capacity} values (a multiple of {@code block}). */
    public Q8Activations(int block, int capacity) {
        if (block != 32 && block != 256) {
            throw new IllegalArgumentException("activation block must be 32 or 256, got " + block);
        }
        if (capacity < 0 || capacity % block != 0) {
            throw new IllegalArgumentException(capacity + " activations are not whole blocks of " + block);
        }
        this.block = block;
        this.q = new short[capacity];
        this.d = new float[capacity / 32];
        this.sum16 = new float[capacity / 16];
        this.sum32 = new float[capacity / 32];
    }

    /** A new buffer holding {@code x[offset .. offset + n)} quantized in blocks of {@code block}. */
    public static Q8Activations of(float[] x, int offset, int n, int block) {
        Q8Activations a = new Q8Activations(block, n);
        a.quantize(x, offset, n);
        return a;
    }

    public int block() { return block; }

    public int length() { return length; }

    /** Quantizes {@code x[offset .. offset + n)} into this buffer. */
    public void quantize(float[] x, int offset, int n) {
        if (n > q.length || n % block != 0) {
            throw new IllegalArgumentException(n + " activations do not fit a buffer of " + q.length
                    + " in whole blocks of " + block);
        }
        length = n;
        for (int b = 0; b < n / block; b++) {
            int base = b * block;
            float amax = 0, max = 0;
            for (int j = 0; j < block; j++) {
                float v = x[offset + base + j];
                float av = Math.abs(v);
                if (av > amax) {
                    amax = av;
                    max = v;
                }
            }
            float scale;
            float unrounded = 0;
            if (block == 32) {
                float dq = amax / 127f;
                float id = dq != 0 ? 1f / dq : 0f;
                for (int j = 0; j < block; j++) {
                    q[base + j] = (byte) Math.rint(x[offset + base + j] * id);
                }
                scale = Float.float16ToFloat(Float.floatToFloat16(dq));
                unrounded = dq;
            } else if (amax == 0) {
                java.util.Arrays.fill(q, base, base + block, (short) 0);
                scale = 0;
            } else {
                float iscale = -127f / max;
                for (int j = 0; j < block; j++) {
                    q[base + j] = (byte) Math.min(127, (int) Math.rint(iscale * x[offset + base + j]));
                }
                scale = 1f / iscale;
            }
            for (int j = base / 32; j < (base + block) / 32; j++) {
                d[j] = scale;
            }
            for (int g = base / 16; g < (base + block) / 16; g++) {
                int s = 0;
                for (int j = 0; j < 16; j++) {
                    s += q[g * 16 + j];
                }
                sum16[g] = scale * s;
            }
            for (int j = base / 32; j < (base + block) / 32; j++) {
                int s = 0;
                for (int k = 0; k < 32; k++) {
                    s += q[j * 32 + k];
                }
                sum32[j] = block == 32 ? Float.float16ToFloat(Float.floatToFloat16(unrounded * s)) : scale * s;
            }
        }
    }

    /** dst[i] = {@link #get}(i) for every value, vectorised (prefill's float products). */
    public void dequantize(float[] dst) {
        for (int base = 0; base < length; base += 32) {
            FloatVector d32 = FloatVector.broadcast(F, d[base / 32]);
            for (int j = 0; j < 32; j += F.length()) {
                ((FloatVector) ShortVector.fromArray(SF, q, base + j).convertShape(VectorOperators.S2F, F, 0))
                        .mul(d32).intoArray(dst, base + j);
            }
        }
    }

    private static final VectorSpecies<Float> F = VectorSupport.Species.F;
    private static final VectorSpecies<Short> SF = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    /** The dequantized value at i: what the integer products actually multiply with. */
    public float get(int i) {
        return q[i] * d[i / 32];
    }
}
