package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

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
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        float d = half(raw, r);
        int high = (raw[r + 2] & 0xff) | (raw[r + 3] & 0xff) << 8;
        for (int g = 0; g < 8; g++) {
            int ls = ((u8(raw, r + 4 + g / 2) >> (4 * (g % 2))) & 0x0f) | ((high >> (2 * g)) & 3) << 4;
            scale[gOff + g] = d * (ls - 32);
            int src = r + 8 + 16 * g, dst = qOff + 32 * g;
            for (int j = 0; j < 16; j++) {
                int b = raw[src + j];
                q[dst + j] = IQ4_NLTensor.LEVELS[b & 0x0f];
                q[dst + 16 + j] = IQ4_NLTensor.LEVELS[(b >> 4) & 0x0f];
            }
        }
    }
}
