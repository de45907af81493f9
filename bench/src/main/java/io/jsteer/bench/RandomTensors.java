package io.jsteer.bench;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Random matrices of any {@link DType} for the kernel benchmarks. Float types hold N(0, 1) values;
 * quantized types hold random bytes (every bit pattern of their quants is a valid weight) whose
 * float16 scale fields are overwritten with a small finite scale, so that no block decodes to
 * Inf/NaN: speed is what is measured here, not any particular function.
 */
public final class RandomTensors {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomTensors() {}

    /** A {@code rows × cols} matrix in off-heap memory of {@code arena}; {@code cols} must be whole blocks of the type. */
    public static FloatTensor matrix(DType type, int rows, int cols, long seed, Arena arena) {
        if (cols % type.blockSize() != 0) {
            throw new IllegalArgumentException(type.label() + " rows are blocks of " + type.blockSize() + " values, " + cols + " columns are not");
        }
        long size = (long) rows * cols;
        MemorySegment m = arena.allocate(type.bytesFor(size), 64);
        SplittableRandom r = new SplittableRandom(seed);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < size; i++) {
                    m.setAtIndex(FLOAT_LE, i, (float) r.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < size; i++) {
                    m.setAtIndex(SHORT_LE, i, Float.floatToFloat16((float) r.nextGaussian()));
                }
            }
            case BF16 -> {
                for (long i = 0; i < size; i++) {
                    m.setAtIndex(SHORT_LE, i, (short) (Float.floatToRawIntBits((float) r.nextGaussian()) >>> 16));
                }
            }
            default -> {
                for (long i = 0; i < m.byteSize(); i += 8) {
                    long bits = r.nextLong();
                    for (int b = 0; b < 8 && i + b < m.byteSize(); b++) {
                        m.set(ValueLayout.JAVA_BYTE, i + b, (byte) (bits >>> (8 * b)));
                    }
                }
                short scale = Float.floatToFloat16(0.01f);
                long blocks = size / type.blockSize();
                for (long blk = 0; blk < blocks; blk++) {
                    long base = blk * type.blockBytes();
                    for (int off : scaleOffsets(type)) {
                        m.set(SHORT_LE, base + off, scale);
                    }
                }
            }
        }
        return FloatTensor.wrap(type, m, size);
    }

    /** Byte offsets of the float16 scale (and min) fields within one block of {@code type} (ggml's block layouts). */
    static int[] scaleOffsets(DType type) {
        return switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            case F32, F16, BF16 -> new int[0];
        };
    }
}
