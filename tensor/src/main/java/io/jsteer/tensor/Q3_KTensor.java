package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF Q3_K: super-blocks of 256 values in 110 bytes: 32 bytes of high bits, 64 bytes of
 * 2-bit values, 12 bytes packing sixteen 6-bit scales (one per 16 values), float16 d;
 * x = d·(sc − 32)·(q − (high bit ? 0 : 4)). */
public final class Q3_KTensor extends QuantizedTensor {

    Q3_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q3_K; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        float d = half(raw, r + 108);
        int s = r + 96;
        for (int i = 0; i < 4; i++) {
            int lo0 = u8(raw, s + i), lo1 = u8(raw, s + 4 + i), hi = u8(raw, s + 8 + i);
            scale[gOff + i] = d * (((lo0 & 0x0f) | (hi & 3) << 4) - 32);
            scale[gOff + 4 + i] = d * (((lo1 & 0x0f) | ((hi >> 2) & 3) << 4) - 32);
            scale[gOff + 8 + i] = d * (((lo0 >> 4) | ((hi >> 4) & 3) << 4) - 32);
            scale[gOff + 12 + i] = d * (((lo1 >> 4) | ((hi >> 6) & 3) << 4) - 32);
        }
        // value n·128 + 32k + l: bits (2k, 2k+1) of qs[32n + l], high bit 4n + k of hmask[l]
        for (int half = 0; half < 2; half++) {
            int src = r + 32 + 32 * half;
            int dst = qOff + 128 * half;
            for (int k = 0; k < 4; k++) {
                int bit = 4 * half + k;
                for (int l = 0; l < 32; l++) {
                    int low = (raw[src + l] >> (2 * k)) & 3;
                    int high = (raw[r + l] >> bit) & 1;
                    q[dst + 32 * k + l] = (byte) (low - 4 + 4 * high);
                }
            }
        }
    }
}
