package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.FloatVector;

/** GGUF Q8_0: blocks of 32 signed bytes sharing one float16 scale (34 bytes a block); x = q·d. */
public final class Q8_0Tensor extends QuantizedTensor {

    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 34;

    Q8_0Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q8_0; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += BLOCK_BYTES) {
            scale[b] = half(raw, r);
            ByteVector.fromArray(B16, raw, r + 2).intoArray(q, b * 32);
            ByteVector.fromArray(B16, raw, r + 18).intoArray(q, b * 32 + 16);
        }
    }

    /**
     * Quantizes {@code values} (a whole number of 32-blocks) into Q8_0 bytes the way ggml does:
     * d = max|x| / 127, q = round(x / d).
     */
    public static byte[] quantize(float[] values) {
        if (values.length % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of 32 values, got " + values.length);
        }
        byte[] out = new byte[values.length / BLOCK * BLOCK_BYTES];
        for (int b = 0; b < values.length / BLOCK; b++) {
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(values[b * BLOCK + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            short dh = Float.floatToFloat16(d);
            out[b * BLOCK_BYTES] = (byte) dh;
            out[b * BLOCK_BYTES + 1] = (byte) (dh >> 8);
            for (int j = 0; j < BLOCK; j++) {
                out[b * BLOCK_BYTES + 2 + j] = (byte) Math.round(values[b * BLOCK + j] * id);
            }
        }
        return out;
    }

    @Override
    boolean hasFusedDot() { return true; }

    /** Per block: two 16-byte halves widened to 16 bits, multiplied, pair-summed (no room to add first). */
    @Override
    float fusedDot(Row row, Q8Activations a) {
        byte[] raw = row.raw;
        short[] xq = a.q;
        float[] xd = a.d;
        int blocks = row.n / BLOCK;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0, r = 0; b < blocks; b++, r += BLOCK_BYTES) {
            int x = b * BLOCK;
            var p = pairSums(product(ByteVector.fromArray(B16, raw, r + 2), xq, x))
                    .add(pairSums(product(ByteVector.fromArray(B16, raw, r + 18), xq, x + 16)));
            acc = toFloat(p).fma(FloatVector.broadcast(FS, half(raw, r) * xd[b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

}
