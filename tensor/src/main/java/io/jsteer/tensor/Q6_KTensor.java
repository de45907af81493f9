package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** GGUF Q6_K: super-blocks of 256 values in 210 bytes: 128 bytes of low nibbles, 64 bytes of
 * high 2-bit pairs, 16 signed 8-bit scales (one per 16 values), float16 d; x = d·sc·(q − 32). */
public final class Q6_KTensor extends QuantizedTensor {

    Q6_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q6_K; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += 210) {
            float d = half(raw, r + 208);
            for (int g = 0; g < 16; g++) {
                scale[16 * b + g] = d * raw[r + 192 + g];
            }
            // group g (values 16g.., g = 8h + 2i + c) as in fusedDot, one per iteration (see there)
            for (int g = 0; g < 16; g++) {
                int h = g >> 3, i = (g >> 1) & 3, c = (g & 1) << 4;
                ByteVector lo = shiftRight(ByteVector.fromArray(B16, raw, r + 64 * h + 32 * (i & 1) + c), 4 * (i >> 1)).and((byte) 0x0f);
                ByteVector hi = shiftRight(ByteVector.fromArray(B16, raw, r + 128 + 32 * h + c), 2 * i).and((byte) 3);
                lo.or(shiftLeft(hi, 4)).sub((byte) 32).intoArray(q, 256 * b + 16 * g);
            }
        }
    }

    /** Quantizes {@code values} (a whole number of 256-value super-blocks) into this layout ({@link KQuantizer}). */
    public static byte[] quantize(float[] values) {
        return KQuantizer.q6K(values);
    }

    @Override
    boolean hasFusedDot() { return true; }

    /**
     * Per group of 16 values (value 16g of a super-block, g = 8h + 2i + c): its low 4 bits are
     * nibble (i ≥ 2 ? high : low) of ql[64h + 32(i & 1) + 16c ..], its top 2 bits are bits (2i, 2i+1)
     * of qh[32h + 16c ..]; assembled in registers, multiplied, pair-summed and scaled by its 8-bit
     * scale; d·d_x once per super-block. One group per iteration with computed shifts: an unrolled
     * super-block outgrows C2's inlining budget, and its vectors would be boxed.
     */
    @Override
    float fusedDot(Row row, Q8Activations a) {
        byte[] raw = row.raw;
        short[] xq = a.q;
        float[] xd = a.d;
        int blocks = row.n / 256;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0, r = 0; b < blocks; b++, r += 210) {
            FloatVector blockAcc = FloatVector.zero(FS);
            for (int g = 0; g < 16; g++) {
                int h = g >> 3, i = (g >> 1) & 3, c = (g & 1) << 4;
                ByteVector lo = shiftRight(ByteVector.fromArray(B16, raw, r + 64 * h + 32 * (i & 1) + c), 4 * (i >> 1)).and((byte) 0x0f);
                ByteVector hi = shiftRight(ByteVector.fromArray(B16, raw, r + 128 + 32 * h + c), 2 * i).and((byte) 3);
                ByteVector q = lo.or(shiftLeft(hi, 4)).sub((byte) 32);
                blockAcc = pairSumsF(product(q, xq, 256 * b + 16 * g)).fma(FloatVector.broadcast(FS, (float) raw[r + 192 + g]), blockAcc);
            }
            acc = blockAcc.fma(FloatVector.broadcast(FS, half(raw, r + 208) * xd[8 * b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

}
