package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;

/** GGUF Q2_K: super-blocks of 256 values in 84 bytes: 16 scale bytes (low nibble scale, high
 * nibble min, one per 16 values), 64 bytes of 2-bit values, float16 d and dmin; x = d·sc·q − dmin·m. */
public final class Q2_KTensor extends QuantizedTensor {

    Q2_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q2_K; }

    @Override
    void unpack(byte[] raw, int r, byte[] q, int qOff, float[] scale, float[] min, int gOff) {
        float d = half(raw, r + 80), dmin = half(raw, r + 82);
        for (int g = 0; g < 16; g++) {
            int sc = u8(raw, r + g);
            scale[gOff + g] = d * (sc & 0x0f);
            min[gOff + g] = dmin * (sc >> 4);
        }
        // two halves of 128 values; each reads 32 bytes four times, two bits further each time
        for (int half = 0; half < 2; half++) {
            int src = r + 16 + 32 * half;
            int dst = qOff + 128 * half;
            for (int shift = 0, k = 0; shift < 8; shift += 2, k++) {
                for (int l = 0; l < 32; l++) {
                    q[dst + 32 * k + l] = (byte) ((raw[src + l] >> shift) & 3);
                }
            }
        }
    }
}
