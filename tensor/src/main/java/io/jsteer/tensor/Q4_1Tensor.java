package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;

/** GGUF Q4_1: per 32 values float16 d and m, then 16 bytes of nibbles (low = 0..15, high = 16..31); x = q·d + m. */
public final class Q4_1Tensor extends QuantizedTensor {

    Q4_1Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q4_1; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += 20) {
            scale[b] = half(raw, r);
            min[b] = -half(raw, r + 2);
            ByteVector v = ByteVector.fromArray(B16, raw, r + 4);
            low(v).intoArray(q, b * 32);
            high(v).intoArray(q, b * 32 + 16);
        }
    }
}
