package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

/** GGUF Q2_K: super-blocks of 256 values in 84 bytes: 16 scale bytes (low nibble scale, high
 * nibble min, one per 16 values), 64 bytes of 2-bit values, float16 d and dmin; x = d·sc·q − dmin·m. */
public final class Q2_KTensor extends QuantizedTensor {

    Q2_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q2_K; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += 84) {
            float d = half(raw, r + 80), dmin = half(raw, r + 82);
            for (int g = 0; g < 16; g++) {
                int sc = u8(raw, r + g);
                scale[16 * b + g] = d * (sc & 0x0f);
                min[16 * b + g] = dmin * (sc >> 4);
            }
            // value 128h + 32k + l: bits (2k, 2k+1) of qs[32h + l]
            for (int h = 0; h < 2; h++) {
                ByteVector v0 = ByteVector.fromArray(B16, raw, r + 16 + 32 * h);
                ByteVector v1 = ByteVector.fromArray(B16, raw, r + 32 + 32 * h);
                int dst = 256 * b + 128 * h;
                for (int k = 0; k < 4; k++) {
                    v0.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).intoArray(q, dst + 32 * k);
                    v1.lanewise(VectorOperators.LSHR, 2 * k).and((byte) 3).intoArray(q, dst + 32 * k + 16);
                }
            }
        }
    }
}
