package io.jsteer.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every quantized type on random block bytes (any bit pattern is a valid block once its float16
 * fields are finite): the integer kernels against a scalar double-precision product of the
 * dequantized weights with the dequantized 8-bit activations, for odd row counts, rows of one and
 * of several blocks, and 1, 2 and 3 threads. Dequantization itself is checked against llama.cpp
 * in the model module's QuantFixturesTest.
 */
class QuantizedTensorTest {

    /** Byte offsets of each type's float16 fields inside a block. */
    static int[] halfFields(DType t) {
        return switch (t) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    static QuantizedTensor random(DType t, long values, long seed) {
        Random r = new Random(seed);
        long blocks = values / t.blockSize();
        MemorySegment s = Arena.ofAuto().allocate(blocks * t.blockBytes());
        for (long i = 0; i < s.byteSize(); i++) {
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
        for (long b = 0; b < blocks; b++) {
            for (int f : halfFields(t)) {
                short h = Float.floatToFloat16((float) (r.nextGaussian() * 0.01));
                s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b * t.blockBytes() + f, (byte) h);
                s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b * t.blockBytes() + f + 1, (byte) (h >> 8));
            }
        }
        return (QuantizedTensor) FloatTensor.wrap(t, s, values);
    }

    static float[] gaussian(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /**
     * Σ w·x over the dequantized activations; for Q4_1/Q5_1 the mins meet llama.cpp's Q8_1 sum s
     * (d·Σq rounded to float16) instead of the exact Σx, as the kernel does.
     */
    static double reference(QuantizedTensor t, float[] w, int off, Q8Activations a, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) w[off + i] * a.get(i);
        if (t.dtype() == DType.Q4_1 || t.dtype() == DType.Q5_1) {
            QuantizedTensor.Row row = t.newRow(n);
            row.load(off, n);
            for (int g = 0; g < n / 32; g++) {
                double exact = 0;
                for (int i = 0; i < 32; i++) exact += a.get(32 * g + i);
                s += row.min[g] * (exact - a.sum32[g]);
            }
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void integerKernelsEqualTheScalarProduct(DType t) {
        for (int cols : new int[] {t.activationBlock(), 3 * 256, 1024 + 256}) {
            int rows = 13;
            QuantizedTensor w = random(t, (long) rows * cols, cols);
            float[] dense = w.toFloatArray();
            // a batch of 6: one block of four tokens (prefill's register blocking) and two single ones
            int batch = 6;
            float[][] xs = new float[batch][];
            Q8Activations[] acts = new Q8Activations[batch];
            for (int b = 0; b < batch; b++) {
                xs[b] = gaussian(cols, b + 1);
                acts[b] = Q8Activations.of(xs[b], 0, cols, t.activationBlock());
            }
            for (int threads = 1; threads <= 3; threads++) {
                try (Parallel par = new Parallel(threads)) {
                    float[] out = new float[rows];
                    Kernels.matvec(w, xs[0], out, rows, cols, par);
                    float[][] outs = new float[batch][rows];
                    Kernels.matmul(w, xs, outs, batch, rows, cols, par);
                    for (int r = 0; r < rows; r++) {
                        double scale = 0;
                        for (int i = 0; i < cols; i++) scale += Math.abs(dense[r * cols + i] * acts[0].get(i));
                        double want = reference(w, dense, r * cols, acts[0], cols);
                        assertEquals(want, out[r], 1e-5 * scale + 1e-7, t + " cols " + cols + " row " + r + " threads " + threads);
                        for (int b = 0; b < batch; b++) {
                            assertEquals(reference(w, dense, r * cols, acts[b], cols), outs[b][r], 1e-5 * scale + 1e-7 + 1e-4 * Math.abs(want),
                                    t + " batch " + b + " row " + r);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void elementReadsRowCopiesAndTheFloatReferenceAgree(DType t) {
        int cols = 512;
        QuantizedTensor w = random(t, 3L * cols, 7);
        float[] all = w.toFloatArray();
        float[] row = new float[cols];
        w.copyTo(cols, row, 0, cols);
        for (int i = 0; i < cols; i += 37) {
            assertEquals(all[cols + i], row[i], 0f);
            assertEquals(all[cols + i], w.getFloat(cols + i), 0f);
        }
        float[] x = gaussian(cols, 9);
        double want = 0;
        for (int i = 0; i < cols; i++) want += (double) row[i] * x[i];
        assertEquals(want, w.dot(cols, x, 0, cols), 1e-4 * (1 + Math.abs(want)));
        boolean nonZero = false;
        for (float v : all) nonZero |= v != 0;
        assertTrue(nonZero, "random blocks decode to something");
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void truncatedDataAndMisalignedRowsAreRefused(DType t) {
        int n = 2 * t.blockSize();
        MemorySegment shortBy1 = Arena.ofAuto().allocate(t.bytesFor(n) - 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FloatTensor.wrap(t, shortBy1, n));
        assertTrue(e.getMessage().contains(t.label()), e.getMessage());
        QuantizedTensor w = random(t, n, 1);
        if (t.blockSize() > 16) {
            assertThrows(IllegalArgumentException.class, () -> w.copyTo(16, new float[n], 0, t.blockSize()));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> w.copyTo(n, new float[n], 0, t.blockSize()));
        assertThrows(IllegalArgumentException.class, () -> new Q8Activations(t.activationBlock(), t.activationBlock() + 8));
    }
}
