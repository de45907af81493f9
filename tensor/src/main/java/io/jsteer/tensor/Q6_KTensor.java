package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF Q6_K: super-blocks of 256 values in 210 bytes: 128 bytes of low nibbles, 64 bytes of
 * high 2-bit pairs, 16 signed 8-bit scales (one per 16 values), float16 d; x = d·sc·(q − 32). */
public final class Q6_KTensor extends QuantizedTensor {

    Q6_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q6_K; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        float d = half(raw, r + 208);
        for (int g = 0; g < 16; g++) {
            scale[gOff + g] = d * raw[r + 192 + g];
        }
        for (int half = 0; half < 2; half++) {
            int ql = r + 64 * half, qh = r + 128 + 32 * half;
            int dst = qOff + 128 * half;
            for (int l = 0; l < 32; l++) {
                int a = raw[ql + l], b = raw[ql + 32 + l], h = raw[qh + l];
                q[dst + l] = (byte) (((a & 0x0f) | (h & 3) << 4) - 32);
                q[dst + 32 + l] = (byte) (((b & 0x0f) | ((h >> 2) & 3) << 4) - 32);
                q[dst + 64 + l] = (byte) ((((a >> 4) & 0x0f) | ((h >> 4) & 3) << 4) - 32);
                q[dst + 96 + l] = (byte) ((((b >> 4) & 0x0f) | ((h >> 6) & 3) << 4) - 32);
            }
        }
    }
}
