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
            kScales(raw, r, scale, min, 8 * b);
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
