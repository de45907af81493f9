package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF Q4_1: per 32 values float16 d and m, then 16 bytes of nibbles (low = 0..15, high = 16..31); x = q·d + m. */
public final class Q4_1Tensor extends QuantizedTensor {

    Q4_1Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q4_1; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        scale[gOff] = half(raw, r);
        min[gOff] = -half(raw, r + 2);
        for (int j = 0; j < 16; j++) {
            int b = raw[r + 4 + j];
            q[qOff + j] = (byte) (b & 0x0f);
            q[qOff + 16 + j] = (byte) ((b >> 4) & 0x0f);
        }
    }
}
