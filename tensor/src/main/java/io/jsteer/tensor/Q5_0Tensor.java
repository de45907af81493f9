package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;

/** GGUF Q5_0: per 32 values float16 d, a 32-bit word of fifth bits (bit j for value j), 16 bytes of nibbles; x = (q − 16)·d. */
public final class Q5_0Tensor extends QuantizedTensor {

    Q5_0Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q5_0; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        byte[] fifth = new byte[32];
        for (int b = 0, r = 0; b < blocks; b++, r += 22) {
            scale[b] = half(raw, r);
            fifthBits(raw, r + 2, fifth);
            ByteVector v = ByteVector.fromArray(B16, raw, r + 6);
            low(v).or(ByteVector.fromArray(B16, fifth, 0)).sub((byte) 16).intoArray(q, b * 32);
            high(v).or(ByteVector.fromArray(B16, fifth, 16)).sub((byte) 16).intoArray(q, b * 32 + 16);
        }
    }
}
