package io.jsteer.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Every vectorised kernel against plain scalar code on random data. */
class KernelsTest {

    private static final SplittableRandom RNG = new SplittableRandom(42);

    private static float[] randomFloats(int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((RNG.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    private static MemorySegment bytes(byte[] b) {
        MemorySegment s = Arena.ofAuto().allocate(b.length);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 0, b.length);
        return s;
    }

    private static MemorySegment halves(float[] v, boolean bf16) {
        MemorySegment s = Arena.ofAuto().allocate(v.length * 2L);
        for (int i = 0; i < v.length; i++) {
            short h = bf16 ? (short) (Float.floatToRawIntBits(v[i]) >>> 16) : Float.floatToFloat16(v[i]);
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2L, h);
        }
        return s;
    }

    /** Scalar decoding of a Q8_0 block straight from the GGUF layout, independent of Q8_0Tensor. */
    private static float[] scalarQ8(byte[] q) {
        float[] out = new float[q.length / 34 * 32];
        for (int b = 0; b < q.length / 34; b++) {
            float d = Float.float16ToFloat((short) ((q[b * 34] & 0xff) | (q[b * 34 + 1] << 8)));
            for (int j = 0; j < 32; j++) {
                out[b * 32 + j] = q[b * 34 + 2 + j] * d;
            }
        }
        return out;
    }

    private static float[] scalarQ4(byte[] q) {
        float[] out = new float[q.length / 18 * 32];
        for (int b = 0; b < q.length / 18; b++) {
            float d = Float.float16ToFloat((short) ((q[b * 18] & 0xff) | (q[b * 18 + 1] << 8)));
            for (int j = 0; j < 16; j++) {
                int packed = q[b * 18 + 2 + j] & 0xff;
                out[b * 32 + j] = ((packed & 0x0f) - 8) * d;
                out[b * 32 + 16 + j] = ((packed >> 4) - 8) * d;
            }
        }
        return out;
    }

    private static double scalarDot(float[] w, int off, float[] x, int xo, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += (double) w[off + i] * x[xo + i];
        }
        return s;
    }

    /** The types jsteer quantizes itself (the others are tested on their raw bytes in QuantizedTensorTest). */
    private static final DType[] WRITABLE = {DType.F32, DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0};

    /** What a product over {@code type} multiplies with: x itself, or x through its 8-bit activation quantization. */
    static float[] seen(DType type, float[] x, int cols) {
        if (!type.isQuantized()) {
            return x;
        }
        Q8Activations a = Q8Activations.of(x, 0, cols, type.activationBlock());
        float[] out = new float[cols];
        for (int i = 0; i < cols; i++) out[i] = a.get(i);
        return out;
    }

    /** A tensor of each dtype together with the float values a scalar decoder reads from its bytes. */
    private record Case(FloatTensor tensor, float[] decoded) {}

    private static Case make(DType type, float[] values) {
        return switch (type) {
            case F32 -> new Case(FloatTensor.of(values), values.clone());
            case F16 -> {
                MemorySegment s = halves(values, false);
                float[] d = new float[values.length];
                for (int i = 0; i < d.length; i++) d[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
                yield new Case(FloatTensor.wrap(DType.F16, s, values.length), d);
            }
            case BF16 -> {
                MemorySegment s = halves(values, true);
                float[] d = new float[values.length];
                for (int i = 0; i < d.length; i++) d[i] = Float.intBitsToFloat(Float.floatToRawIntBits(values[i]) & 0xffff0000);
                yield new Case(FloatTensor.wrap(DType.BF16, s, values.length), d);
            }
            case Q8_0 -> {
                byte[] q = Q8_0Tensor.quantize(values);
                yield new Case(FloatTensor.wrap(DType.Q8_0, bytes(q), values.length), scalarQ8(q));
            }
            case Q4_0 -> {
                byte[] q = Q4_0Tensor.quantize(values);
                yield new Case(FloatTensor.wrap(DType.Q4_0, bytes(q), values.length), scalarQ4(q));
            }
            default -> throw new IllegalArgumentException("no quantizer for " + type);
        };
    }

    @Test
    void dotMatchesScalarForEveryDtypeAndOddLengths() {
        for (DType type : WRITABLE) {
            int rows = 7;
            for (int cols : type.isQuantized() ? new int[] {32, 64, 96, 288, 768} : new int[] {1, 3, 15, 16, 17, 63, 64, 65, 288, 1000}) {
                Case c = make(type, randomFloats(rows * cols, 2.0));
                float[] x = randomFloats(cols + 5, 1.0);
                for (int r = 0; r < rows; r++) {
                    double expect = scalarDot(c.decoded(), r * cols, x, 5, cols);
                    float got = c.tensor().dot((long) r * cols, x, 5, cols);
                    assertEquals(expect, got, 1e-4 * (1 + Math.abs(expect)) + 1e-5 * cols, type + " cols=" + cols + " row=" + r);
                }
            }
        }
    }

    @Test
    void getFloatAndCopyToDecodeTheStoredBytes() {
        for (DType type : WRITABLE) {
            Case c = make(type, randomFloats(256, 3.0));
            float[] copied = new float[256];
            c.tensor().copyTo(0, copied, 0, 256);
            assertArrayEquals(c.decoded(), copied, 0f, type.toString());
            for (int i = 0; i < 256; i += 17) {
                assertEquals(c.decoded()[i], c.tensor().getFloat(i), 0f, type + " at " + i);
            }
        }
    }

    @Test
    void f16WideningHandlesSubnormalsZerosAndSigns() {
        float[] v = new float[32];
        v[0] = 0f; v[1] = -0f; v[2] = 5.96e-8f /* smallest subnormal half */; v[3] = -6.1e-5f;
        v[4] = 65504f; v[5] = -65504f; v[6] = 1e-6f; v[7] = -3.14159f;
        for (int i = 8; i < 32; i++) v[i] = (i - 16) * 0.37f;
        Case c = make(DType.F16, v);
        float[] copied = new float[32];
        c.tensor().copyTo(0, copied, 0, 32);
        for (int i = 0; i < 32; i++) {
            assertEquals(Float.floatToRawIntBits(c.decoded()[i]), Float.floatToRawIntBits(copied[i]), "element " + i + " = " + v[i]);
        }
    }

    @Test
    void quantizationErrorIsBoundedByHalfAStep() {
        float[] v = randomFloats(32 * 64, 1.0);
        float[] q8 = make(DType.Q8_0, v).decoded();
        float[] q4 = make(DType.Q4_0, v).decoded();
        for (int b = 0; b < 64; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(v[b * 32 + j]));
            for (int j = 0; j < 32; j++) {
                int i = b * 32 + j;
                assertEquals(v[i], q8[i], amax / 127f * 0.51f + 1e-3f * amax, "q8 " + i);
                // Q4_0 maps the extreme value to -8 exactly; the opposite side clamps at +7, so the
                // error there can reach one whole step (amax / 8), elsewhere half a step.
                assertEquals(v[i], q4[i], amax / 8f * 1.001f, "q4 " + i);
            }
        }
    }

    @Test
    void axpyMatchesScalar() {
        for (DType type : WRITABLE) {
            Case c = make(type, randomFloats(4 * 64, 1.0));
            float[] y = randomFloats(64, 1.0);
            float[] expect = y.clone();
            for (int i = 0; i < 64; i++) expect[i] += 0.75f * c.decoded()[64 + i];
            c.tensor().axpy(64, 0.75f, y, 0, 64);
            assertArrayEquals(expect, y, 1e-5f, type.toString());
        }
    }

    @Test
    void matvecAndBatchedMatmulAgreeWithScalarOnSeveralThreadCounts() {
        int rows = 131, cols = 96;
        for (DType type : WRITABLE) {
            Case c = make(type, randomFloats(rows * cols, 1.0));
            float[][] xs = {randomFloats(cols, 1), randomFloats(cols, 1), randomFloats(cols, 1)};
            for (int threads : new int[] {1, 2, 3}) {
                try (Parallel par = new Parallel(threads)) {
                    float[] out = new float[rows];
                    Kernels.matvec(c.tensor(), xs[0], out, rows, cols, par);
                    float[][] outs = new float[3][rows];
                    Kernels.matmul(c.tensor(), xs, outs, 3, rows, cols, par);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(scalarDot(c.decoded(), r * cols, seen(type, xs[0], cols), 0, cols), out[r], 1e-4, type + " matvec row " + r);
                        for (int b = 0; b < 3; b++) {
                            assertEquals(scalarDot(c.decoded(), r * cols, seen(type, xs[b], cols), 0, cols), outs[b][r], 1e-4, type + " matmul row " + r);
                        }
                    }
                }
            }
        }
    }

    /**
     * Batches large enough for the packed-panel kernel (Gemm.PANEL_MIN_BATCH): two full tiles and a
     * partial one, a column count that is not a whole number of panel chunks (cols % 256 ≠ 0), and
     * a batch that leaves tokens for the dot-product kernel; every token's row equals the scalar
     * product (float weights) or decode's integer kernel (quantized weights, including K-quants'
     * mins, which the panel meets as extra columns).
     */
    @Test
    void panelKernelOnLargeBatchesAgreesWithScalarAndDecode() {
        int batch = Gemm.PANEL_MIN_BATCH + 7;
        int rows = 2 * Gemm.ROWS + 5;
        for (DType type : new DType[] {DType.F32, DType.BF16, DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q6_K}) {
            int cols = type.blockSize() == 256 ? 768 : 544;
            FloatTensor w = type.blockSize() == 256 ? QuantizedTensorTest.random(type, (long) rows * cols, 7)
                    : make(type, randomFloats(rows * cols, 1.0)).tensor();
            float[] dense = w.toFloatArray();
            float[][] xs = new float[batch][];
            for (int b = 0; b < batch; b++) xs[b] = randomFloats(cols, 1.0);
            for (int threads : new int[] {1, 2}) {
                try (Parallel par = new Parallel(threads)) {
                    float[][] outs = new float[batch][rows];
                    Kernels.matmul(w, xs, outs, batch, rows, cols, par);
                    float[] decode = new float[rows];
                    for (int b = 0; b < batch; b++) {
                        Kernels.matvec(w, xs[b], decode, rows, cols, par);
                        for (int r = 0; r < rows; r++) {
                            double want = scalarDot(dense, r * cols, seen(type, xs[b], cols), 0, cols);
                            double scale = 0;
                            for (int i = 0; i < cols; i++) scale += Math.abs(dense[r * cols + i] * xs[b][i]);
                            String at = type + " token " + b + " row " + r + " threads " + threads;
                            assertEquals(want, outs[b][r], 1e-5 * scale + 1e-4, at + " against the scalar product");
                            assertEquals(decode[r], outs[b][r], 1e-5 * scale + 1e-5, at + " against decode");
                        }
                    }
                }
            }
        }
    }

    /** Scores and the weighted sum of values over strided rows, for head sizes that are and are not whole vectors. */
    @Test
    void attentionKernelsAgreeWithScalar() {
        for (int n : new int[] {8, 64, 128, 75}) {
            for (int count : new int[] {0, 1, 3, 4, 9, 130}) {
                int stride = n + 13, k0 = 5;
                float[] q = randomFloats(n + 2, 1.0), keys = randomFloats(k0 + count * stride + n, 1.0);
                float[] scores = new float[count + 3];
                Kernels.attentionScores(q, 2, keys, k0, stride, count, n, 0.125f, scores, 3);
                float[] p = randomFloats(count + 1, 1.0);
                float[] out = randomFloats(n + 4, 1.0), want = out.clone();
                Kernels.weightedSum(p, 1, keys, k0, stride, count, n, out, 4);
                for (int i = 0; i < count; i++) {
                    double dot = 0, mag = 0;
                    for (int j = 0; j < n; j++) {
                        dot += (double) q[2 + j] * keys[k0 + i * stride + j];
                        mag += Math.abs(q[2 + j] * keys[k0 + i * stride + j]);
                    }
                    assertEquals(0.125 * dot, scores[3 + i], 1e-6 * mag + 1e-7, "score " + i + " of " + count + ", n " + n);
                }
                for (int j = 0; j < n; j++) {
                    double sum = want[4 + j], mag = Math.abs(sum);
                    for (int i = 0; i < count; i++) {
                        sum += (double) p[1 + i] * keys[k0 + i * stride + j];
                        mag += Math.abs(p[1 + i] * keys[k0 + i * stride + j]);
                    }
                    assertEquals(sum, out[4 + j], 1e-6 * mag + 1e-7, "value " + j + " over " + count + ", n " + n);
                }
                assertEquals(want[3], out[3], 0f, "values before the output are untouched");
            }
        }
    }

    @Test
    void fusedMatvecsEqualSeparateProducts() {
        for (DType type : WRITABLE) {
            int cols = 64;
            Case a = make(type, randomFloats(37 * cols, 1)), b = make(type, randomFloats(5 * cols, 1)), c = make(type, randomFloats(64 * cols, 1));
            float[] x = randomFloats(cols, 1);
            float[][] outs = {new float[37], new float[5], new float[64]};
            try (Parallel par = new Parallel(3)) {
                Kernels.matvecs(new FloatTensor[] {a.tensor(), b.tensor(), c.tensor()}, x, outs, new int[] {37, 5, 64}, cols, par);
            }
            Case[] cases = {a, b, c};
            for (int m = 0; m < 3; m++) {
                for (int r = 0; r < outs[m].length; r++) {
                    assertEquals(scalarDot(cases[m].decoded(), r * cols, seen(type, x, cols), 0, cols), outs[m][r], 1e-4, type + " matrix " + m + " row " + r);
                }
            }
        }
    }

    /**
     * One region over several matrices (a Q4_K_M file's mix and a float one) gives each matrix's own
     * product: the same operations in the same order, so equal up to the rounding by which the Vector
     * API's lane reduction differs between its interpreted form and C2's intrinsic (1.8e-6 on a row of
     * 3.94 once, under cancellation; a wrong row or offset is off by the row's size) (which of the two
     * runs depends on when the JIT compiles the kernel, and a compilation can land between the calls).
     */
    @Test
    void fusedMatmulsEqualSeparateProducts() {
        int cols = 512, batch = 5;
        FloatTensor[] ws = {
            QuantizedTensorTest.random(DType.Q4_K, 37L * cols, 1), QuantizedTensorTest.random(DType.Q6_K, 6L * cols, 2),
            QuantizedTensorTest.random(DType.Q4_K, 9L * cols, 3), FloatTensor.of(randomFloats(11 * cols, 1))};
        int[] rows = {37, 6, 9, 11};
        float[][] x = new float[batch][];
        for (int b = 0; b < batch; b++) x[b] = randomFloats(cols, 1);
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel par = new Parallel(threads)) {
                float[][][] outs = new float[ws.length][][];
                for (int m = 0; m < ws.length; m++) outs[m] = new float[batch][rows[m]];
                Kernels.matmuls(ws, x, outs, batch, rows, cols, par);
                for (int m = 0; m < ws.length; m++) {
                    float[][] alone = new float[batch][rows[m]];
                    Kernels.matmul(ws[m], x, alone, batch, rows[m], cols, par);
                    for (int b = 0; b < batch; b++) {
                        for (int r = 0; r < rows[m]; r++) {
                            assertEquals(alone[b][r], outs[m][b][r], 1e-5 * Math.max(1, Math.abs(alone[b][r])),
                                    "matrix " + m + " token " + b + " row " + r + " threads " + threads);
                        }
                    }
                }
            }
        }
    }

    @Test
    void smallKernelsMatchTheirDefinitions() {
        float[] x = randomFloats(77, 3.0);
        float[] w = randomFloats(77, 1.0);
        float[] o = new float[77];
        Kernels.rmsnorm(o, x, w, 77, 1e-5f);
        double ss = 0;
        for (float v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / 77 + 1e-5);
        for (int i = 0; i < 77; i++) assertEquals(w[i] * x[i] * inv, o[i], 1e-5);
        float[] o2 = new float[77];
        Kernels.rmsnorm(o2, x, FloatTensor.of(w), 77, 1e-5f);
        assertArrayEquals(o, o2, 1e-6f);

        float[] s = {1f, 2f, 3f, 1000f, -1000f};
        Kernels.softmax(s, 0, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertEquals(Math.exp(1) / z, s[0], 1e-6);
        assertEquals(Math.exp(3) / z, s[2], 1e-6);
        assertEquals(1000f, s[3]);

        float[] g = {-2f, 0f, 1.5f};
        float[] u = {3f, 4f, -2f};
        Kernels.swiglu(g, u, 3);
        assertEquals(-2 / (1 + Math.exp(2)) * 3, g[0], 1e-6);
        assertEquals(0, g[1], 0);
        assertEquals(1.5 / (1 + Math.exp(-1.5)) * -2, g[2], 1e-6);
    }

    @Test
    void misuseIsRejectedWithAClearMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FloatTensor.wrap(DType.Q8_0, Arena.ofAuto().allocate(33), 32));
        assertEquals("32 q8_0 values need 34 bytes, the segment has 33", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DType.Q4_0.bytesFor(31));
        assertThrows(IllegalArgumentException.class, () -> DType.F32.bytesFor(-1));
        assertThrows(IllegalArgumentException.class, () -> DType.parse("q5_9"));
        Case c = make(DType.Q8_0, randomFloats(64, 1));
        assertThrows(IllegalArgumentException.class, () -> c.tensor().dot(16, new float[64], 0, 32));
        assertThrows(IndexOutOfBoundsException.class, () -> c.tensor().dot(64, new float[64], 0, 32));
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }
}
