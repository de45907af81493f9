package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;

/** GGUF IQ4_XS: super-blocks of 256 values in 136 bytes: float16 d, eight 6-bit scales (high
 * bits in a 16-bit word, low nibbles in 4 bytes), 128 bytes of 4-bit indices into IQ4_NL's levels;
 * x = d·(sc − 32)·level[q]. */
public final class IQ4_XSTensor extends QuantizedTensor {

    IQ4_XSTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.IQ4_XS; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        ByteVector levels = ByteVector.fromArray(B16, IQ4_NLTensor.LEVELS, 0);
        for (int b = 0, r = 0; b < blocks; b++, r += 136) {
            float d = half(raw, r);
            int high = (raw[r + 2] & 0xff) | (raw[r + 3] & 0xff) << 8;
            for (int g = 0; g < 8; g++) {
                int ls = ((u8(raw, r + 4 + g / 2) >> (4 * (g % 2))) & 0x0f) | ((high >> (2 * g)) & 3) << 4;
                scale[8 * b + g] = d * (ls - 32);
                ByteVector v = ByteVector.fromArray(B16, raw, r + 8 + 16 * g);
                low(v).selectFrom(levels).intoArray(q, 256 * b + 32 * g);
                high(v).selectFrom(levels).intoArray(q, 256 * b + 32 * g + 16);
            }
        }
    }
}
