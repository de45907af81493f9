package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF Q5_K: super-blocks of 256 values in 176 bytes: float16 d and dmin, 12 bytes of 6-bit
 * scales and mins (one pair per 32 values), 32 bytes of fifth bits, 128 bytes of nibbles. */
public final class Q5_KTensor extends QuantizedTensor {

    Q5_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q5_K; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        float d = half(raw, r), dmin = half(raw, r + 2);
        // eight 6-bit scales and mins packed in 12 bytes (llama.cpp's get_scale_min_k4)
        int s = r + 4;
        for (int j = 0; j < 8; j++) {
            int sc, m;
            if (j < 4) {
                sc = u8(raw, s + j) & 63;
                m = u8(raw, s + j + 4) & 63;
            } else {
                sc = (u8(raw, s + j + 4) & 0x0f) | (u8(raw, s + j - 4) >> 6) << 4;
                m = (u8(raw, s + j + 4) >> 4) | (u8(raw, s + j) >> 6) << 4;
            }
            scale[gOff + j] = d * sc;
            min[gOff + j] = dmin * m;
        }
        // as Q4_K, plus bit 2k (low nibbles) or 2k+1 (high nibbles) of qh[l] as the fifth bit
        for (int k = 0; k < 4; k++) {
            int src = r + 48 + 32 * k;
            int dst = qOff + 64 * k;
            for (int l = 0; l < 32; l++) {
                int b = raw[src + l];
                int h = raw[r + 16 + l];
                q[dst + l] = (byte) ((b & 0x0f) | ((h >> (2 * k)) & 1) << 4);
                q[dst + 32 + l] = (byte) (((b >> 4) & 0x0f) | ((h >> (2 * k + 1)) & 1) << 4);
            }
        }
    }
}
