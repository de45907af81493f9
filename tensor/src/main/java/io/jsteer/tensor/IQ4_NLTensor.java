package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;

/** GGUF IQ4_NL: per 32 values float16 d and 16 bytes of 4-bit indices into a fixed non-linear table of levels; x = d·level[q]. */
public final class IQ4_NLTensor extends QuantizedTensor {

    /** llama.cpp's kvalues_iq4nl: the 16 levels a 4-bit index selects. */
    static final byte[] LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    IQ4_NLTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.IQ4_NL; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        ByteVector levels = ByteVector.fromArray(B16, LEVELS, 0);
        for (int b = 0, r = 0; b < blocks; b++, r += 18) {
            scale[b] = half(raw, r);
            ByteVector v = ByteVector.fromArray(B16, raw, r + 2);
            low(v).selectFrom(levels).intoArray(q, b * 32);
            high(v).selectFrom(levels).intoArray(q, b * 32 + 16);
        }
    }
}
