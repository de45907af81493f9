package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;

/** GGUF Q4_K: super-blocks of 256 values in 144 bytes: float16 d and dmin, 12 bytes of 6-bit
 * scales and mins (one pair per 32 values), 128 bytes of nibbles; x = d·sc·q − dmin·m. */
public final class Q4_KTensor extends QuantizedTensor {

    Q4_KTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q4_K; }

    @Override
    void unpackRow(byte[] raw, int blocks, byte[] q, float[] scale, float[] min) {
        for (int b = 0, r = 0; b < blocks; b++, r += 144) {
            float d = half(raw, r), dmin = half(raw, r + 2);
            // eight 6-bit scales and mins packed in 12 bytes (llama.cpp's get_scale_min_k4)
            int s = r + 4, go = 8 * b;
            for (int j = 0; j < 8; j++) {
                int sc, m;
                if (j < 4) {
                    sc = u8(raw, s + j) & 63;
                    m = u8(raw, s + j + 4) & 63;
                } else {
                    sc = (u8(raw, s + j + 4) & 0x0f) | (u8(raw, s + j - 4) >> 6) << 4;
                    m = (u8(raw, s + j + 4) >> 4) | (u8(raw, s + j) >> 6) << 4;
                }
                scale[go + j] = d * sc;
                min[go + j] = dmin * m;
            }
            // 64 values per 32 bytes: low nibbles first, then high nibbles
            for (int k = 0; k < 4; k++) {
                int src = r + 16 + 32 * k, dst = 256 * b + 64 * k;
                ByteVector v0 = ByteVector.fromArray(B16, raw, src), v1 = ByteVector.fromArray(B16, raw, src + 16);
                low(v0).intoArray(q, dst);
                low(v1).intoArray(q, dst + 16);
                high(v0).intoArray(q, dst + 32);
                high(v1).intoArray(q, dst + 48);
            }
        }
    }
}
