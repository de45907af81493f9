package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF Q5_1: per 32 values float16 d and m, a 32-bit word of fifth bits, 16 bytes of nibbles; x = q·d + m. */
public final class Q5_1Tensor extends QuantizedTensor {

    Q5_1Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q5_1; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        scale[gOff] = half(raw, r);
        min[gOff] = -half(raw, r + 2);
        int qh = (raw[r + 4] & 0xff) | (raw[r + 5] & 0xff) << 8 | (raw[r + 6] & 0xff) << 16 | (raw[r + 7] & 0xff) << 24;
        for (int j = 0; j < 16; j++) {
            int b = raw[r + 8 + j];
            q[qOff + j] = (byte) ((b & 0x0f) | ((qh >>> j) & 1) << 4);
            q[qOff + 16 + j] = (byte) (((b >> 4) & 0x0f) | ((qh >>> (j + 16)) & 1) << 4);
        }
    }
}
