package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
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
            // as Q4_K, plus bit 2k (low nibbles) or 2k+1 (high nibbles) of qh[l] as the fifth bit
            ByteVector h0 = ByteVector.fromArray(B16, raw, r + 16), h1 = ByteVector.fromArray(B16, raw, r + 32);
            for (int k = 0; k < 4; k++) {
                int src = r + 48 + 32 * k, dst = 256 * b + 64 * k;
                ByteVector v0 = ByteVector.fromArray(B16, raw, src), v1 = ByteVector.fromArray(B16, raw, src + 16);
                low(v0).or(bit4(h0, 2 * k)).intoArray(q, dst);
                low(v1).or(bit4(h1, 2 * k)).intoArray(q, dst + 16);
                high(v0).or(bit4(h0, 2 * k + 1)).intoArray(q, dst + 32);
                high(v1).or(bit4(h1, 2 * k + 1)).intoArray(q, dst + 48);
            }
        }
    }

    /** Bit {@code bit} of each lane moved to bit 4 (the fifth bit of a value). */
    private static ByteVector bit4(ByteVector h, int bit) {
        return h.lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
    }
}
