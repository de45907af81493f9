package io.jsteer.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A read-only flat array of {@link #size()} numbers stored in some {@link DType} inside a
 * {@link MemorySegment} (usually a slice of a memory-mapped model file: nothing is copied on
 * load). Matrices are row-major, {@code [rows][cols]}, and kernels address a row by its
 * element offset {@code row * cols}; for block-quantized types that offset and the length
 * must be whole blocks.
 */
public abstract sealed class FloatTensor permits F32Tensor, HalfFloatTensor, QuantizedTensor {

    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    protected final MemorySegment segment;
    protected final long size;

    FloatTensor(MemorySegment segment, long size) {
        this.segment = segment;
        this.size = size;
    }

    /**
     * Views {@code segment} as {@code size} values of {@code type}.
     *
     * @throws IllegalArgumentException when the segment's length does not match exactly
     */
    public static FloatTensor wrap(DType type, MemorySegment segment, long size) {
        long need = type.bytesFor(size);
        if (segment.byteSize() != need) {
            throw new IllegalArgumentException(size + " " + type.label() + " values need " + need
                    + " bytes, the segment has " + segment.byteSize());
        }
        VectorSupport.requireVectorApi();
        return switch (type) {
            case F32 -> new F32Tensor(segment, size);
            case F16 -> new F16Tensor(segment, size);
            case BF16 -> new BF16Tensor(segment, size);
            case Q8_0 -> new Q8_0Tensor(segment, size);
            case Q4_0 -> new Q4_0Tensor(segment, size);
            case Q4_1 -> new Q4_1Tensor(segment, size);
            case Q5_0 -> new Q5_0Tensor(segment, size);
            case Q5_1 -> new Q5_1Tensor(segment, size);
            case Q2_K -> new Q2_KTensor(segment, size);
            case Q3_K -> new Q3_KTensor(segment, size);
            case Q4_K -> new Q4_KTensor(segment, size);
            case Q5_K -> new Q5_KTensor(segment, size);
            case Q6_K -> new Q6_KTensor(segment, size);
            case IQ4_NL -> new IQ4_NLTensor(segment, size);
            case IQ4_XS -> new IQ4_XSTensor(segment, size);
        };
    }

    /** A new zeroed float32 tensor in off-heap memory that the GC reclaims. */
    public static F32Tensor allocate(long size) {
        VectorSupport.requireVectorApi();
        return new F32Tensor(Arena.ofAuto().allocate(DType.F32.bytesFor(size), 64), size);
    }

    /** A float32 copy of {@code values}. */
    public static F32Tensor of(float[] values) {
        F32Tensor t = allocate(values.length);
        MemorySegment.copy(values, 0, t.segment, FLOAT_LE, 0, values.length);
        return t;
    }

    public abstract DType dtype();

    public final long size() { return size; }

    /** The bytes behind this tensor, in {@link #dtype()}'s layout. */
    public final MemorySegment segment() { return segment; }

    /** Value at {@code index} (dequantized). Slow: for tests and one-off reads, never hot loops. */
    public abstract float getFloat(long index);

    /** {@code sum_i this[offset + i] * x[xOffset + i]} for i in [0, n). */
    public abstract float dot(long offset, float[] x, int xOffset, int n);

    /**
     * {@code out[r] = row r · x} for rows [rowStart, rowEnd) of this tensor seen as {@code [rows][cols]}.
     * Kinds override it where processing several rows per pass over x pays.
     */
    public void matvecRows(float[] x, float[] out, int rowStart, int rowEnd, int cols) {
        for (int r = rowStart; r < rowEnd; r++) {
            out[r] = dot((long) r * cols, x, 0, cols);
        }
    }

    /** Dequantizes {@code n} values starting at {@code offset} into {@code dst[dstOffset..]}. */
    public abstract void copyTo(long offset, float[] dst, int dstOffset, int n);

    /** {@code y[yOffset + i] += alpha * this[offset + i]} for i in [0, n): the transpose product's row step. */
    public void axpy(long offset, float alpha, float[] y, int yOffset, int n) {
        float[] row = new float[n];
        copyTo(offset, row, 0, n);
        Kernels.axpy(alpha, row, 0, y, yOffset, n);
    }

    /** All values as a float32 array (dequantized); for tests and conversions. */
    public float[] toFloatArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + size + " values is too large for one Java array");
        }
        float[] out = new float[(int) size];
        copyTo(0, out, 0, (int) size);
        return out;
    }

    final void checkRange(long offset, int n) {
        if (offset < 0 || n < 0 || offset + n > size) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + n) + ") outside tensor of " + size);
        }
        int bs = dtype().blockSize();
        if (bs > 1 && (offset % bs != 0 || n % bs != 0)) {
            throw new IllegalArgumentException(dtype() + " rows must start and end on a block of " + bs
                    + " (offset " + offset + ", length " + n + ")");
        }
    }

    @Override
    public String toString() {
        return dtype().label() + "[" + size + "]";
    }
}
