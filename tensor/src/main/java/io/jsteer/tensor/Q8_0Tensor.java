package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** GGUF Q8_0: blocks of 32 signed bytes sharing one float16 scale (34 bytes a block). */
public final class Q8_0Tensor extends FloatTensor {

    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 34;
    private static final VectorSpecies<Float> F = VectorSupport.Species.F;
    /** As many bytes as F has float lanes, so that one byte load widens into one float vector. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8));

    Q8_0Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.Q8_0; }

    private float scale(long block) {
        return Float.float16ToFloat(segment.get(SHORT_LE, block * BLOCK_BYTES));
    }

    @Override
    public float getFloat(long index) {
        long block = index / BLOCK;
        byte q = segment.get(ValueLayout.JAVA_BYTE, block * BLOCK_BYTES + 2 + index % BLOCK);
        return q * scale(block);
    }

    @Override
    public void copyTo(long offset, float[] dst, int dstOffset, int n) {
        checkRange(offset, n);
        for (int b = 0; b < n / BLOCK; b++) {
            long block = offset / BLOCK + b;
            float d = scale(block);
            long qBase = block * BLOCK_BYTES + 2;
            for (int j = 0; j < BLOCK; j++) {
                dst[dstOffset + b * BLOCK + j] = segment.get(ValueLayout.JAVA_BYTE, qBase + j) * d;
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
            // Sum q*x over the block in float lanes, then scale once per block.
            FloatVector blockSum = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += step) {
                FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, segment, blockBase + 2 + j,
                                java.nio.ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0);
                blockSum = q.fma(FloatVector.fromArray(F, x, xi + j), blockSum);
            }
            acc = blockSum.fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Quantizes {@code values} (a whole number of 32-blocks) into Q8_0 bytes the way ggml does:
     * d = max|x| / 127, q = round(x / d).
     */
    public static byte[] quantize(float[] values) {
        if (values.length % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of 32 values, got " + values.length);
        }
        byte[] out = new byte[values.length / BLOCK * BLOCK_BYTES];
        for (int b = 0; b < values.length / BLOCK; b++) {
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(values[b * BLOCK + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            short dh = Float.floatToFloat16(d);
            out[b * BLOCK_BYTES] = (byte) dh;
            out[b * BLOCK_BYTES + 1] = (byte) (dh >> 8);
            for (int j = 0; j < BLOCK; j++) {
                out[b * BLOCK_BYTES + 2 + j] = (byte) Math.round(values[b * BLOCK + j] * id);
            }
        }
        return out;
    }
}
