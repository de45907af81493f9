package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF Q5_0: per 32 values float16 d, a 32-bit word of fifth bits (bit j for value j), 16 bytes of nibbles; x = (q − 16)·d. */
public final class Q5_0Tensor extends QuantizedTensor {

    Q5_0Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q5_0; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        scale[gOff] = half(raw, r);
        int qh = (raw[r + 2] & 0xff) | (raw[r + 3] & 0xff) << 8 | (raw[r + 4] & 0xff) << 16 | (raw[r + 5] & 0xff) << 24;
        for (int j = 0; j < 16; j++) {
            int b = raw[r + 6 + j];
            q[qOff + j] = (byte) (((b & 0x0f) | ((qh >>> j) & 1) << 4) - 16);
            q[qOff + 16 + j] = (byte) ((((b >> 4) & 0x0f) | ((qh >>> (j + 16)) & 1) << 4) - 16);
        }
    }
}
