package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;

/** GGUF Q5_1: per 32 values float16 d and m, a 32-bit word of fifth bits, 16 bytes of nibbles; x = q·d + m. */
public final class Q5_1Tensor extends QuantizedTensor {

    Q5_1Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q5_1; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        byte[] fifth = new byte[32];
        for (int b = 0, r = 0; b < blocks; b++, r += 24) {
            scale[b] = half(raw, r);
            min[b] = -half(raw, r + 2);
            fifthBits(raw, r + 4, fifth);
            ByteVector v = ByteVector.fromArray(B16, raw, r + 8);
            low(v).or(ByteVector.fromArray(B16, fifth, 0)).intoArray(q, b * 32);
            high(v).or(ByteVector.fromArray(B16, fifth, 16)).intoArray(q, b * 32 + 16);
        }
    }
}
