package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.FloatVector;

/** GGUF Q4_0: blocks of 32 values in 18 bytes, a float16 scale d then 16 bytes whose low
 * nibbles are elements 0..15 and high nibbles elements 16..31; x = (nibble − 8)·d. */
public final class Q4_0Tensor extends QuantizedTensor {

    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;

    Q4_0Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q4_0; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += BLOCK_BYTES) {
            scale[b] = half(raw, r);
            ByteVector v = ByteVector.fromArray(B16, raw, r + 2);
            low(v).sub((byte) 8).intoArray(q, b * 32);
            high(v).sub((byte) 8).intoArray(q, b * 32 + 16);
        }
    }

    /**
     * Quantizes like ggml's reference quantize_row_q4_0: d = max / -8 where max is the
     * signed value of largest magnitude, q = min(15, (int)(x/d + 8.5)).
     */
    public static byte[] quantize(float[] values) {
        if (values.length % BLOCK != 0) {
            throw new IllegalArgumentException("Q4_0 needs a multiple of 32 values, got " + values.length);
        }
        byte[] out = new byte[values.length / BLOCK * BLOCK_BYTES];
        for (int b = 0; b < values.length / BLOCK; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = values[b * BLOCK + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            short dh = Float.floatToFloat16(d);
            out[b * BLOCK_BYTES] = (byte) dh;
            out[b * BLOCK_BYTES + 1] = (byte) (dh >> 8);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) (values[b * BLOCK + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (values[b * BLOCK + 16 + j] * id + 8.5f));
                out[b * BLOCK_BYTES + 2 + j] = (byte) (q0 | (q1 << 4));
            }
        }
        return out;
    }

    @Override
    boolean hasFusedDot() { return true; }

    /** Per block: both nibble halves in registers, |q − 8| ≤ 8 so their products add in 16 bits. */
    @Override
    float fusedDot(Row row, Q8Activations a) {
        byte[] raw = row.raw;
        short[] xq = a.q;
        float[] xd = a.d;
        int blocks = row.n / BLOCK;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0, r = 0; b < blocks; b++, r += BLOCK_BYTES) {
            int x = b * BLOCK;
            ByteVector v = ByteVector.fromArray(B16, raw, r + 2);
            var p = product(low(v).sub((byte) 8), xq, x).add(product(high(v).sub((byte) 8), xq, x + 16));
            acc = pairSumsF(p).fma(FloatVector.broadcast(FS, half(raw, r) * xd[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

}
