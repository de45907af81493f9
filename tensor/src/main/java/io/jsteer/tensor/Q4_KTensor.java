package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.FloatVector;

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

    /** Quantizes {@code values} (a whole number of 256-value super-blocks) into this layout ({@link KQuantizer}). */
    public static byte[] quantize(float[] values) {
        return KQuantizer.q4K(values);
    }

    @Override
    boolean hasFusedDot() { return true; }

    /**
     * Per 32 packed bytes: the low nibbles are one group of 32 and the high nibbles the next,
     * each summed in 16 bits (q ≤ 15) and scaled once; the mins meet the activations' group sums.
     */
    @Override
    float fusedDot(Row row, Q8Activations a) {
        byte[] raw = row.raw;
        short[] xq = a.q;
        float[] xd = a.d, scale = row.scale, min = row.min;
        int blocks = row.n / 256;
        FloatVector acc = FloatVector.zero(FS);
        for (int b = 0, r = 0; b < blocks; b++, r += 144) {
            kScales(raw, r, scale, min, 8 * b);
            float d = xd[8 * b]; // one activation scale per 256 values
            FloatVector blockAcc = FloatVector.zero(FS);
            for (int k = 0; k < 4; k++) {
                int src = r + 16 + 32 * k, x = 256 * b + 64 * k, g = 8 * b + 2 * k;
                ByteVector v0 = ByteVector.fromArray(B16, raw, src), v1 = ByteVector.fromArray(B16, raw, src + 16);
                var lo = product(low(v0), xq, x).add(product(low(v1), xq, x + 16));
                var hi = product(high(v0), xq, x + 32).add(product(high(v1), xq, x + 48));
                blockAcc = pairSumsF(lo).fma(FloatVector.broadcast(FS, scale[g]), blockAcc);
                blockAcc = pairSumsF(hi).fma(FloatVector.broadcast(FS, scale[g + 1]), blockAcc);
            }
            acc = blockAcc.fma(FloatVector.broadcast(FS, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD) - Kernels.dot(min, 0, a.sum32, 0, 8 * blocks);
    }

}
