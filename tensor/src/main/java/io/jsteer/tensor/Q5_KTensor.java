package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** GGUF Q5_K: super-blocks of 256 values in 176 bytes: float16 d and dmin, 12 bytes of 6-bit
 * scales and mins (one pair per 32 values), 32 bytes of fifth bits, 128 bytes of nibbles. */
public final class Q5_KTensor extends QuantizedTensor {

    Q5_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q5_K; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += 176) {
            kScales(raw, r, scale, min, 8 * b);
            // group j of 32 as in fusedDot, one per iteration (an unrolled super-block is boxed, see there)
            for (int j = 0; j < 8; j++) {
                int src = r + 48 + 32 * (j >> 1), dst = 256 * b + 32 * j, shift = 4 * (j & 1);
                shiftRight(ByteVector.fromArray(B16, raw, src), shift).and((byte) 0x0f)
                        .or(bitTo4(ByteVector.fromArray(B16, raw, r + 16), j)).intoArray(q, dst);
                shiftRight(ByteVector.fromArray(B16, raw, src + 16), shift).and((byte) 0x0f)
                        .or(bitTo4(ByteVector.fromArray(B16, raw, r + 32), j)).intoArray(q, dst + 16);
            }
        }
    }

    @Override
    boolean hasFusedDot() { return true; }

    /**
     * As Q4_K's, one group of 32 per iteration: nibble (j odd ? high : low) of the 32 bytes at
     * 48 + 32(j / 2), and bit j of the 32 qh bytes as the fifth bit (q ≤ 31, so the two halves'
     * products still add in 16 bits).
     */
    @Override
    float fusedDot(Row row, Q8Activations a) {
        byte[] raw = row.raw;
        short[] xq = a.q;
        float[] xd = a.d, scale = row.scale, min = row.min;
        int blocks = row.n / 256;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0, r = 0; b < blocks; b++, r += 176) {
            kScales(raw, r, scale, min, 8 * b);
            FloatVector blockAcc = FloatVector.zero(FS);
            for (int j = 0; j < 8; j++) {
                int src = r + 48 + 32 * (j >> 1), x = 256 * b + 32 * j, shift = 4 * (j & 1);
                ByteVector q0 = shiftRight(ByteVector.fromArray(B16, raw, src), shift).and((byte) 0x0f)
                        .or(bitTo4(ByteVector.fromArray(B16, raw, r + 16), j));
                ByteVector q1 = shiftRight(ByteVector.fromArray(B16, raw, src + 16), shift).and((byte) 0x0f)
                        .or(bitTo4(ByteVector.fromArray(B16, raw, r + 32), j));
                var p = product(q0, xq, x).add(product(q1, xq, x + 16));
                blockAcc = pairSumsF(p).fma(FloatVector.broadcast(FS, scale[8 * b + j]), blockAcc);
            }
            acc = blockAcc.fma(FloatVector.broadcast(FS, xd[8 * b]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) - Kernels.dot(min, 0, a.sum32, 0, 8 * blocks);
    }

}
