package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * GGUF Q4_0: blocks of 32 values in 18 bytes, a float16 scale d then 16 bytes whose low
 * nibbles are elements 0..15 and high nibbles elements 16..31; x = (nibble - 8) * d.
 */
public final class Q4_0Tensor extends FloatTensor {

    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;
    private static final VectorSpecies<Float> F = VectorSupport.Species.F;
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));

    Q4_0Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q4_0; }

    private float scale(long block) {
        return Float.float16ToFloat(segment.get(SHORT_LE, block * BLOCK_BYTES));
    }

    private int nibble(long block, int j) {
        byte packed = segment.get(ValueLayout.JAVA_BYTE, block * BLOCK_BYTES + 2 + (j % 16));
        return (j < 16 ? packed & 0x0f : (packed >> 4) & 0x0f) - 8;
    }

    @Override
    public float getFloat(long index) {
        long block = index / BLOCK;
        return nibble(block, (int) (index % BLOCK)) * scale(block);
    }

    @Override
    public void copyTo(long offset, float[] dst, int dstOffset, int n) {
        checkRange(offset, n);
        for (int b = 0; b < n / BLOCK; b++) {
            long block = offset / BLOCK + b;
            float d = scale(block);
            for (int j = 0; j < BLOCK; j++) {
                dst[dstOffset + b * BLOCK + j] = nibble(block, j) * d;
            }
        }
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        checkRange(offset, n);
        int step = F.length();
        FloatVector acc = FloatVector.zero(F);
        long firstBlock = offset / BLOCK;
        for (int b = 0; b < n / BLOCK; b++) {
            long blockBase = (firstBlock + b) * BLOCK_BYTES;
            float d = Float.float16ToFloat(segment.get(SHORT_LE, blockBase));
            int xi = xOffset + b * BLOCK;
            FloatVector blockSum = FloatVector.zero(F);
            // The 16 packed bytes are read in chunks of F.length(): low nibbles pair with
            // x[j..], high nibbles with x[16 + j..].
            for (int j = 0; j < 16; j += step) {
                ByteVector packed = ByteVector.fromMemorySegment(B, segment, blockBase + 2 + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector lo = packed.and((byte) 0x0f).sub((byte) 8);
                ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0f).sub((byte) 8);
                FloatVector loF = (FloatVector) lo.convertShape(VectorOperators.B2F, F, 0);
                FloatVector hiF = (FloatVector) hi.convertShape(VectorOperators.B2F, F, 0);
                blockSum = loF.fma(FloatVector.fromArray(F, x, xi + j), blockSum);
                blockSum = hiF.fma(FloatVector.fromArray(F, x, xi + 16 + j), blockSum);
            }
            acc = blockSum.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Quantizes like ggml's reference quantize_row_q4_0: d = max / -8 where max is the
     * signed value of largest magnitude, q = min(15, (int)(x/d + 8.5)).
     */
    public static byte[] quantize(float[] values) {
        if (values.length % BLOCK != 0) {
            throw new IllegalArgumentException("Q4_0 needs a multiple of 32 values, got " + values.length);
        }
        byte[] out = new byte[values.length / BLOCK * BLOCK_BYTES];
        for (int b = 0; b < values.length / BLOCK; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = values[b * BLOCK + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0 ? 1f / d : 0f;
            short dh = Float.floatToFloat16(d);
            out[b * BLOCK_BYTES] = (byte) dh;
            out[b * BLOCK_BYTES + 1] = (byte) (dh >> 8);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) (values[b * BLOCK + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (values[b * BLOCK + 16 + j] * id + 8.5f));
                out[b * BLOCK_BYTES + 2 + j] = (byte) (q0 | (q1 << 4));
            }
        }
        return out;
    }
}
