package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF IQ4_NL: per 32 values float16 d and 16 bytes of 4-bit indices into a fixed non-linear table of levels; x = d·level[q]. */
public final class IQ4_NLTensor extends QuantizedTensor {

    IQ4_NLTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.IQ4_NL; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        scale[gOff] = half(raw, r);
        for (int j = 0; j < 16; j++) {
            int b = raw[r + 2 + j];
            q[qOff + j] = LEVELS[b & 0x0f];
            q[qOff + 16 + j] = LEVELS[(b >> 4) & 0x0f];
        }
    }

    /** llama.cpp's kvalues_iq4nl: the 16 levels a 4-bit index selects. */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
}
