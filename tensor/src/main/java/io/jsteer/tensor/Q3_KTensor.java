package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

/** GGUF Q3_K: super-blocks of 256 values in 110 bytes: 32 bytes of high bits, 64 bytes of
 * 2-bit values, 12 bytes packing sixteen 6-bit scales (one per 16 values), float16 d;
 * x = d·(sc − 32)·(q − (high bit ? 0 : 4)). */
public final class Q3_KTensor extends QuantizedTensor {

    Q3_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q3_K; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += 110) {
            float d = half(raw, r + 108);
            int s = r + 96, go = 16 * b;
            for (int i = 0; i < 4; i++) {
                int lo0 = u8(raw, s + i), lo1 = u8(raw, s + 4 + i), hi = u8(raw, s + 8 + i);
                scale[go + i] = d * (((lo0 & 0x0f) | (hi & 3) << 4) - 32);
                scale[go + 4 + i] = d * (((lo1 & 0x0f) | ((hi >> 2) & 3) << 4) - 32);
                scale[go + 8 + i] = d * (((lo0 >> 4) | ((hi >> 4) & 3) << 4) - 32);
                scale[go + 12 + i] = d * (((lo1 >> 4) | ((hi >> 6) & 3) << 4) - 32);
            }
            // value 128h + 32k + l: bits (2k, 2k+1) of qs[32h + l], minus 4 unless bit 4h + k of hmask[l]
            ByteVector m0 = ByteVector.fromArray(B16, raw, r), m1 = ByteVector.fromArray(B16, raw, r + 16);
            for (int h = 0; h < 2; h++) {
                ByteVector v0 = ByteVector.fromArray(B16, raw, r + 32 + 32 * h);
                ByteVector v1 = ByteVector.fromArray(B16, raw, r + 48 + 32 * h);
                int dst = 256 * b + 128 * h;
                for (int k = 0; k < 4; k++) {
                    int bit = 4 * h + k;
                    three(v0, m0, k, bit).intoArray(q, dst + 32 * k);
                    three(v1, m1, k, bit).intoArray(q, dst + 32 * k + 16);
                }
            }
        }
    }

    private static ByteVector three(ByteVector low, ByteVector high, int k, int bit) {
        ByteVector h = high.lanewise(VectorOperators.LSHR, bit).and((byte) 1).lanewise(VectorOperators.LSHL, 2);
        return low.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).sub((byte) 4).add(h);
    }
}
