package io.jsteer.tornado;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.function.Function;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.Int8Array;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;

/**
 * A weight matrix [rows][cols] in the host arrays that TornadoVM sends to the device once. F32
 * and F16 keep their bits; Q8_0 is split into its quants and its scales (as float32, so that
 * devices without FP16, such as PoCL 3.1, run it too); other types (BF16, Q4_0) are widened to F32.
 */
public final class DeviceMatrix {

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int Q8_BLOCK = 32;
    private static final int Q8_BLOCK_BYTES = 34;

    private final DType storage;
    private final int rows;
    private final int cols;
    private final FloatArray f32;
    private final ShortArray f16;
    private final Int8Array quants;
    private final FloatArray scales;

    private DeviceMatrix(DType storage, int rows, int cols, FloatArray f32, ShortArray f16, Int8Array quants, FloatArray scales) {
        this.storage = storage;
        this.rows = rows;
        this.cols = cols;
        this.f32 = f32;
        this.f16 = f16;
        this.quants = quants;
        this.scales = scales;
    }

    /** Copies {@code t} (rows x cols values) into device-ready arrays. */
    public static DeviceMatrix of(String name, FloatTensor t, int rows, int cols) {
        long n = (long) rows * cols;
        if (t.size() != n) {
            throw new IllegalArgumentException(name + ": expected " + rows + " x " + cols + " = " + n + " values, the tensor has " + t.size());
        }
        if (n > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException(name + ": " + n + " values do not fit one TornadoVM array (int-indexed)");
        }
        return switch (t.dtype()) {
            case F32 -> new DeviceMatrix(DType.F32, rows, cols, FloatArray.fromSegment(t.segment()), null, null, null);
            case F16 -> new DeviceMatrix(DType.F16, rows, cols, null, ShortArray.fromSegment(t.segment()), null, null);
            case Q8_0 -> {
                if (cols % Q8_BLOCK != 0) {
                    throw new IllegalArgumentException(name + ": Q8_0 rows of " + cols + " values are not whole blocks of 32");
                }
                int blocks = (int) (n / Q8_BLOCK);
                Int8Array q = new Int8Array((int) n);
                FloatArray d = new FloatArray(blocks);
                MemorySegment src = t.segment();
                MemorySegment dst = q.getSegment();
                for (int b = 0; b < blocks; b++) {
                    long at = (long) b * Q8_BLOCK_BYTES;
                    d.set(b, Float.float16ToFloat(src.get(SHORT_LE, at)));
                    MemorySegment.copy(src, at + 2, dst, (long) b * Q8_BLOCK, Q8_BLOCK);
                }
                yield new DeviceMatrix(DType.Q8_0, rows, cols, null, null, q, d);
            }
            default -> {
                FloatArray f = new FloatArray((int) n);
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    t.copyTo((long) r * cols, row, 0, cols);
                    MemorySegment.copy(row, 0, f.getSegment(), ValueLayout.JAVA_FLOAT, (long) r * cols * Float.BYTES, cols);
                }
                yield new DeviceMatrix(DType.F32, rows, cols, f, null, null, null);
            }
        };
    }

    /** A float32 matrix from a row-major array (steering parameters, tests). */
    public static DeviceMatrix ofFloats(float[] values, int rows, int cols) {
        if (values.length != rows * cols) {
            throw new IllegalArgumentException("expected " + rows + " x " + cols + " values, got " + values.length);
        }
        return new DeviceMatrix(DType.F32, rows, cols, FloatArray.fromArray(values), null, null, null);
    }

    /**
     * The parts' rows one under the other ([sum of rows][cols]), so that one kernel launch does the
     * products of all of them (q|k|v, gate|up); empty when the parts differ in storage or columns.
     */
    public static Optional<DeviceMatrix> stack(DeviceMatrix... parts) {
        DeviceMatrix first = parts[0];
        long total = 0;
        for (DeviceMatrix m : parts) {
            if (m.storage != first.storage || m.cols != first.cols) {
                return Optional.empty();
            }
            total += (long) m.rows * m.cols;
        }
        if (total > Integer.MAX_VALUE - 64) {
            return Optional.empty();
        }
        int rows = (int) (total / first.cols);
        int n = (int) total;
        return Optional.of(switch (first.storage) {
            case F16 -> {
                ShortArray a = new ShortArray(n);
                concat(a.getSegment(), parts, m -> m.f16.getSegment(), 2, 1);
                yield new DeviceMatrix(DType.F16, rows, first.cols, null, a, null, null);
            }
            case Q8_0 -> {
                Int8Array q = new Int8Array(n);
                FloatArray d = new FloatArray(n / Q8_BLOCK);
                concat(q.getSegment(), parts, m -> m.quants.getSegment(), 1, 1);
                concat(d.getSegment(), parts, m -> m.scales.getSegment(), 4, Q8_BLOCK);
                yield new DeviceMatrix(DType.Q8_0, rows, first.cols, null, null, q, d);
            }
            default -> {
                FloatArray f = new FloatArray(n);
                concat(f.getSegment(), parts, m -> m.f32.getSegment(), 4, 1);
                yield new DeviceMatrix(DType.F32, rows, first.cols, f, null, null, null);
            }
        });
    }

    /** Copies each part's rows*cols/valuesPerElement elements of elementBytes, one after the other. */
    private static void concat(MemorySegment dst, DeviceMatrix[] parts, Function<DeviceMatrix, MemorySegment> data,
                               int elementBytes, int valuesPerElement) {
        long at = 0;
        for (DeviceMatrix m : parts) {
            long bytes = (long) m.rows * m.cols / valuesPerElement * elementBytes;
            MemorySegment.copy(data.apply(m), 0, dst, at, bytes);
            at += bytes;
        }
    }

    public DType storage() { return storage; }

    public int rows() { return rows; }

    public int cols() { return cols; }

    /** The arrays the matrix-vector kernel reads, in argument order. */
    Object[] arrays() {
        return switch (storage) {
            case F16 -> new Object[] {f16};
            case Q8_0 -> new Object[] {quants, scales};
            default -> new Object[] {f32};
        };
    }

    FloatArray f32() { return f32; }

    ShortArray f16() { return f16; }

    Int8Array quants() { return quants; }

    FloatArray scales() { return scales; }

    /** Bytes the matrix occupies on the device (and reads per matrix-vector product). */
    public long deviceBytes() {
        long n = (long) rows * cols;
        return switch (storage) {
            case F16 -> 2 * n;
            case Q8_0 -> n + 4 * (n / Q8_BLOCK);
            default -> 4 * n;
        };
    }
}
