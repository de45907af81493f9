package io.jsteer.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.RopeTable;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Kernels;
import io.jsteer.tensor.Parallel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/** Every device kernel against its CPU twin on random data, run through TornadoVM. */
class TornadoKernelsTest {

    private static final int LOCAL = TornadoEngine.LOCAL;
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static int graphs;

    private final Random rnd = new Random(42);

    private float[] random(int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian() * scale;
        }
        return a;
    }

    private static String name() {
        return "kt" + graphs++;
    }

    /** Runs one graph once; {@code grid} may be null for @Parallel tasks. */
    private static void run(TaskGraph g, GridScheduler grid) {
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g.snapshot())) {
            if (grid != null) {
                plan.withGridScheduler(grid);
            }
            plan.execute();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static GridScheduler grid(String graph, int groups) {
        WorkerGrid1D w = new WorkerGrid1D(groups * LOCAL);
        w.setLocalWork(LOCAL, 1, 1);
        GridScheduler s = new GridScheduler();
        s.addWorkerGrid(graph + ".t", w);
        return s;
    }

    private static void assertClose(float[] expected, FloatArray actual, float tol, String what) {
        assertEquals(expected.length, actual.getSize(), what + ": size");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            assertEquals(e, actual.get(i), tol * Math.max(1f, Math.abs(e)), what + " [" + i + "]");
        }
    }

    /**
     * The CPU product with float activations, the device kernels' arithmetic: quantized weights are
     * dequantized first, since the CPU's own quantized kernels also round x to 8 bits (as llama.cpp
     * does), which the device kernels do not.
     */
    private static float[] cpuMatvec(FloatTensor w, float[] x, int rows, int cols) {
        float[] out = new float[rows];
        FloatTensor f = w.dtype() == DType.F32 ? w : FloatTensor.of(w.toFloatArray());
        try (Parallel par = new Parallel(1)) {
            Kernels.matvec(f, x, out, rows, cols, par);
        }
        return out;
    }

    @ParameterizedTest
    @CsvSource({"37, 64", "200, 300", "9, 20", "128, 128"})
    void matvecF32MatchesCpu(int rows, int cols) {
        float[] w = random(rows * cols, 0.1f);
        float[] x = random(cols, 1f);
        FloatArray dw = FloatArray.fromArray(w), dx = FloatArray.fromArray(x), out = new FloatArray(rows);
        int rt = TornadoEngine.rowThreads(cols);
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dw, dx)
                .task("t", TornadoKernels::matvecF32, new KernelContext(), dw, dx, out, rows, cols, LOCAL, rt, 0, 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out), grid(g, TornadoEngine.bandGroups(rows, rt)));
        assertClose(cpuMatvec(FloatTensor.of(w), x, rows, cols), out, 1e-4f, "matvecF32 " + rows + "x" + cols);
    }

    @ParameterizedTest
    @CsvSource({"37, 64", "70, 96"})
    void matvecF16MatchesCpu(int rows, int cols) {
        int n = rows * cols;
        MemorySegment seg = Arena.ofAuto().allocate(2L * n, 8);
        float[] values = random(n, 0.1f);
        values[0] = 3e-6f;  // a float16 subnormal
        values[1] = -0f;
        for (int i = 0; i < n; i++) {
            seg.set(SHORT_LE, 2L * i, Float.floatToFloat16(values[i]));
        }
        FloatTensor w = FloatTensor.wrap(DType.F16, seg, n);
        DeviceMatrix m = DeviceMatrix.of("w", w, rows, cols);
        assertEquals(DType.F16, m.storage());
        float[] x = random(cols, 1f);
        FloatArray dx = FloatArray.fromArray(x), out = new FloatArray(rows);
        int rt = TornadoEngine.rowThreads(cols);
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, m.f16(), dx)
                .task("t", TornadoKernels::matvecF16, new KernelContext(), m.f16(), dx, out, rows, cols, LOCAL, rt, 0, 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out), grid(g, TornadoEngine.bandGroups(rows, rt)));
        assertClose(cpuMatvec(w, x, rows, cols), out, 1e-4f, "matvecF16");
    }

    @Test
    void halfDecodingCoversNormalsSubnormalsAndSigns() {
        for (float f : new float[] {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, -3e-6f, 0.0999f}) {
            short h = Float.floatToFloat16(f);
            assertEquals(Float.float16ToFloat(h), TornadoKernels.halfToFloat(h), 0f, "half of " + f);
        }
    }

    @ParameterizedTest
    @CsvSource({"33, 64", "64, 256"})
    void matvecQ8MatchesCpu(int rows, int cols) {
        int blocks = rows * cols / 32;
        MemorySegment seg = Arena.ofAuto().allocate(34L * blocks, 8);
        for (int b = 0; b < blocks; b++) {
            seg.set(SHORT_LE, 34L * b, Float.floatToFloat16(0.001f + rnd.nextFloat() * 0.01f));
            for (int j = 0; j < 32; j++) {
                seg.set(ValueLayout.JAVA_BYTE, 34L * b + 2 + j, (byte) (rnd.nextInt(255) - 127));
            }
        }
        FloatTensor w = FloatTensor.wrap(DType.Q8_0, seg, (long) rows * cols);
        DeviceMatrix m = DeviceMatrix.of("w", w, rows, cols);
        float[] x = random(cols, 1f);
        FloatArray dx = FloatArray.fromArray(x), out = new FloatArray(rows);
        int rt = TornadoEngine.rowThreads(cols);
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, m.quants(), m.scales(), dx)
                .task("t", TornadoKernels::matvecQ8, new KernelContext(), m.quants(), m.scales(), dx, out, rows, cols, LOCAL, rt, 0, 0)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out), grid(g, TornadoEngine.bandGroups(rows, rt)));
        assertClose(cpuMatvec(w, x, rows, cols), out, 1e-4f, "matvecQ8");
    }

    /** Q8_0 data for rows x cols with random scales and quants, as GGUF stores it. */
    private FloatTensor randomQ8(int rows, int cols) {
        int blocks = rows * cols / 32;
        MemorySegment seg = Arena.ofAuto().allocate(34L * blocks, 8);
        for (int b = 0; b < blocks; b++) {
            seg.set(SHORT_LE, 34L * b, Float.floatToFloat16(0.001f + rnd.nextFloat() * 0.01f));
            for (int j = 0; j < 32; j++) {
                seg.set(ValueLayout.JAVA_BYTE, 34L * b + 2 + j, (byte) (rnd.nextInt(255) - 127));
            }
        }
        return FloatTensor.wrap(DType.Q8_0, seg, (long) rows * cols);
    }

    /** Two matrices stacked into one launch, written after an offset and added to what is there (the fused residual). */
    @ParameterizedTest
    @CsvSource({"Q8_0, 40, 64, 24", "F32, 37, 96, 5"})
    void stackedMatvecWritesAtAnOffsetAndAccumulates(DType type, int rowsA, int cols, int rowsB) {
        FloatTensor a = type == DType.Q8_0 ? randomQ8(rowsA, cols) : FloatTensor.of(random(rowsA * cols, 0.1f));
        FloatTensor b = type == DType.Q8_0 ? randomQ8(rowsB, cols) : FloatTensor.of(random(rowsB * cols, 0.1f));
        DeviceMatrix m = DeviceMatrix.stack(DeviceMatrix.of("a", a, rowsA, cols), DeviceMatrix.of("b", b, rowsB, cols)).orElseThrow();
        int rows = rowsA + rowsB, offset = 3;
        assertEquals(rows, m.rows());
        float[] x = random(cols, 1f);
        float[] y = random(offset + rows, 1f);
        float[] ea = cpuMatvec(a, x, rowsA, cols), eb = cpuMatvec(b, x, rowsB, cols);
        float[] expected = y.clone();
        for (int i = 0; i < rows; i++) {
            expected[offset + i] += i < rowsA ? ea[i] : eb[i - rowsA];
        }
        FloatArray dx = FloatArray.fromArray(x), out = FloatArray.fromArray(y);
        int rt = TornadoEngine.rowThreads(cols);
        String g = name();
        TaskGraph graph = new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dx, out);
        if (type == DType.Q8_0) {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, m.quants(), m.scales())
                    .task("t", TornadoKernels::matvecQ8, new KernelContext(), m.quants(), m.scales(), dx, out, rows, cols, LOCAL, rt, offset, 1);
        } else {
            graph.transferToDevice(DataTransferMode.FIRST_EXECUTION, m.f32())
                    .task("t", TornadoKernels::matvecF32, new KernelContext(), m.f32(), dx, out, rows, cols, LOCAL, rt, offset, 1);
        }
        run(graph.transferToHost(DataTransferMode.EVERY_EXECUTION, out), grid(g, TornadoEngine.bandGroups(rows, rt)));
        assertClose(expected, out, 1e-4f, "stacked " + type);
    }

    @Test
    void stackingNeedsTheSameStorageAndWidth() {
        DeviceMatrix f32 = DeviceMatrix.ofFloats(random(64, 1f), 2, 32);
        DeviceMatrix q8 = DeviceMatrix.of("q", randomQ8(2, 32), 2, 32);
        DeviceMatrix wide = DeviceMatrix.ofFloats(random(128, 1f), 2, 64);
        assertTrue(DeviceMatrix.stack(f32, q8).isEmpty());
        assertTrue(DeviceMatrix.stack(f32, wide).isEmpty());
        assertEquals(DType.Q8_0, DeviceMatrix.stack(q8, q8).orElseThrow().storage());
    }

    @Test
    void matvecAddScaledAccumulates() {
        int rows = 48, cols = 8;
        float[] w = random(rows * cols, 0.5f);
        float[] x = random(cols, 1f);
        float[] y = random(rows, 1f);
        float[] expected = cpuMatvec(FloatTensor.of(w), x, rows, cols);
        for (int i = 0; i < rows; i++) {
            expected[i] = y[i] + 0.75f * expected[i];
        }
        FloatArray dw = FloatArray.fromArray(w), dx = FloatArray.fromArray(x), out = FloatArray.fromArray(y);
        int rt = TornadoEngine.rowThreads(cols);
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dw, dx, out)
                .task("t", TornadoKernels::matvecAddScaledF32, new KernelContext(), dw, dx, out, rows, cols, LOCAL, rt, 0, 0.75f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out), grid(g, TornadoEngine.bandGroups(rows, rt)));
        assertClose(expected, out, 1e-4f, "matvecAddScaled");
    }

    @ParameterizedTest
    @CsvSource({"64, 0", "288, 3"})
    void rmsnormMatchesCpu(int dim, int layer) {
        float[] x = random(dim, 2f);
        float[] weights = random(dim * (layer + 1), 1f);
        float[] w = java.util.Arrays.copyOfRange(weights, layer * dim, (layer + 1) * dim);
        float[] expected = new float[dim];
        Kernels.rmsnorm(expected, x, w, dim, 1e-5f);
        FloatArray dx = FloatArray.fromArray(x), dw = FloatArray.fromArray(weights), out = new FloatArray(dim);
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dx, dw)
                .task("t", TornadoKernels::rmsnorm, new KernelContext(), out, dx, dw, layer * dim, dim, 1e-5f, LOCAL)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out), grid(g, 1));
        assertClose(expected, out, 1e-5f, "rmsnorm");
    }

    private static LlamaConfig config(int dim, int nHeads, int nKvHeads, RopeStyle style) {
        return new LlamaConfig(dim, 4 * dim, 1, nHeads, nKvHeads, 32, 1024, 1e-5f, 10000f, style, null, false);
    }

    /** slots 512: one row per position; slots 8 (a sliding window's ring): position 300 goes to row 300 mod 8 = 4. */
    @ParameterizedTest
    @CsvSource({"NORMAL, 8, 4, 17, 512", "NEOX, 8, 2, 300, 512", "NORMAL, 8, 2, 300, 8", "NEOX, 8, 4, 7, 8"})
    void ropeAndCacheWriteMatchCpu(RopeStyle style, int nHeads, int nKvHeads, int pos, int slots) {
        LlamaConfig c = config(64, nHeads, nKvHeads, style);
        int cap = 512, hs = c.headSize(), kvDim = c.kvDim(), half = hs / 2;
        RopeTable rope = new RopeTable(c, cap);
        float[] q = random(c.dim(), 1f), k = random(kvDim, 1f), v = random(kvDim, 1f);
        float[] eq = q.clone(), ek = k.clone();
        rope.rotate(eq, nHeads, pos);
        rope.rotate(ek, nKvHeads, pos);
        double[] freq = RopeTable.frequencies(c);
        float[] cos = new float[cap * half], sin = new float[cap * half];
        for (int p = 0; p < cap; p++) {
            for (int i = 0; i < half; i++) {
                cos[p * half + i] = (float) Math.cos(p * freq[i]);
                sin[p * half + i] = (float) Math.sin(p * freq[i]);
            }
        }
        float[] qkv = new float[c.dim() + 2 * kvDim];
        System.arraycopy(q, 0, qkv, 0, c.dim());
        System.arraycopy(k, 0, qkv, c.dim(), kvDim);
        System.arraycopy(v, 0, qkv, c.dim() + kvDim, kvDim);
        FloatArray dqkv = FloatArray.fromArray(qkv);
        FloatArray kc = new FloatArray(slots * kvDim), vc = new FloatArray(slots * kvDim);
        FloatArray dcos = FloatArray.fromArray(cos), dsin = FloatArray.fromArray(sin);
        IntArray dpos = IntArray.fromElements(pos);
        run(new TaskGraph(name()).transferToDevice(DataTransferMode.FIRST_EXECUTION, dqkv, kc, vc, dcos, dsin, dpos)
                .task("t", TornadoKernels::ropeAndCacheWrite, dqkv, kc, vc, dcos, dsin, dpos, nHeads, nKvHeads, hs,
                        style == RopeStyle.NEOX ? 1 : 0, slots)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, dqkv, kc, vc), null);
        for (int i = 0; i < c.dim(); i++) {
            assertEquals(eq[i], dqkv.get(i), 1e-5f, "rotated q " + i);
        }
        int row = pos % slots;
        for (int i = 0; i < kvDim; i++) {
            assertEquals(ek[i], kc.get(row * kvDim + i), 1e-5f, "cached key " + i);
            assertEquals(v[i], vc.get(row * kvDim + i), 0f, "cached value " + i);
        }
        assertEquals(0f, kc.get((row + 1) % slots * kvDim), 0f, "other rows untouched");
    }

    /**
     * window 0: full causal attention; window w: positions pos-w+1 .. pos only (Mistral v0.1's sliding
     * window). Position t is in cache row t mod slots: slots 320 is one row per position, slots = the
     * window a ring (at pos 40 with a window of 8 the rows seen wrap: 33..39 in rows 1..7, 40 in row 0).
     */
    @ParameterizedTest
    @CsvSource({"8, 8, 0, 0, 320", "8, 2, 40, 0, 320", "4, 1, 300, 0, 320", "8, 2, 40, 8, 320", "4, 1, 300, 200, 320",
        "4, 2, 5, 8, 320", "8, 2, 40, 8, 8", "4, 1, 300, 200, 200", "4, 2, 5, 8, 8", "4, 2, 300, 160, 160"})
    void attentionMatchesCpu(int nHeads, int nKvHeads, int pos, int window, int slots) {
        int hs = 16, kvDim = nKvHeads * hs, group = nHeads / nKvHeads, cap = 320;
        int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
        float[] q = random(nHeads * hs, 1f);
        float[] keys = random(cap * kvDim, 1f), values = random(cap * kvDim, 1f); // [position][kvDim]
        float[] ringKeys = new float[slots * kvDim], ringValues = new float[slots * kvDim]; // as the engine writes them, in order
        for (int t = 0; t <= pos; t++) {
            System.arraycopy(keys, t * kvDim, ringKeys, t % slots * kvDim, kvDim);
            System.arraycopy(values, t * kvDim, ringValues, t % slots * kvDim, kvDim);
        }
        float[] expected = new float[nHeads * hs];
        float[] att = new float[pos + 1];
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int h = 0; h < nHeads; h++) {
            int kvo = (h / group) * hs;
            for (int t = first; t <= pos; t++) {
                att[t] = Kernels.dot(q, h * hs, keys, t * kvDim + kvo, hs) * scale;
            }
            Kernels.softmax(att, first, pos + 1 - first);
            for (int t = first; t <= pos; t++) {
                Kernels.axpy(att[t], values, t * kvDim + kvo, expected, h * hs, hs);
            }
        }
        FloatArray dq = FloatArray.fromArray(q), kc = FloatArray.fromArray(ringKeys), vc = FloatArray.fromArray(ringValues);
        FloatArray datt = new FloatArray(nHeads * slots), out = new FloatArray(nHeads * hs);
        IntArray dpos = IntArray.fromElements(pos);
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dq, kc, vc, datt, dpos)
                .task("t", TornadoKernels::attention, new KernelContext(), dq, kc, vc, datt, out, dpos, hs, kvDim, group, slots, window, LOCAL)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, out), grid(g, nHeads));
        assertClose(expected, out, 1e-4f, "attention pos " + pos + " window " + window);
    }

    /** Qwen3's q/k norms: each head of a slice at an offset normalised with one shared weight; values outside untouched. */
    @ParameterizedTest
    @CsvSource({"4, 32, 0", "2, 128, 40", "3, 256, 7"})
    void headRmsnormMatchesCpu(int heads, int headSize, int offset) {
        float[] x = random(offset + heads * headSize + 5, 2f);
        float[] weights = random(headSize + 3, 1f);
        float[] expected = x.clone();
        for (int h = 0; h < heads; h++) {
            int o = offset + h * headSize;
            double ss = 0;
            for (int i = 0; i < headSize; i++) {
                ss += (double) x[o + i] * x[o + i];
            }
            float inv = (float) (1.0 / Math.sqrt(ss / headSize + 1e-6));
            for (int i = 0; i < headSize; i++) {
                expected[o + i] = x[o + i] * inv * weights[3 + i];
            }
        }
        FloatArray dx = FloatArray.fromArray(x), dw = FloatArray.fromArray(weights);
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dx, dw)
                .task("t", TornadoKernels::headRmsnorm, new KernelContext(), dx, offset, dw, 3, headSize, 1e-6f, LOCAL)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, dx), grid(g, heads));
        assertClose(expected, dx, 1e-5f, "head RMSNorm");
    }

    /** The bias add at an offset of both arrays, and the LoRA up-projection accumulating at an offset. */
    @Test
    void addAtAndScaledAccumulateAtAnOffset() {
        int n = 70, yOff = 11, vOff = 4;
        float[] y = random(100, 1f), v = random(80, 1f);
        float[] ey = y.clone();
        for (int i = 0; i < n; i++) {
            ey[yOff + i] += v[vOff + i];
        }
        int rows = 20, cols = 8;
        float[] w = random(rows * cols, 0.5f), in = random(cols, 1f);
        float[] prod = cpuMatvec(FloatTensor.of(w), in, rows, cols);
        for (int i = 0; i < rows; i++) {
            ey[50 + i] += 0.5f * prod[i];
        }
        FloatArray dy = FloatArray.fromArray(y), dv = FloatArray.fromArray(v), dw = FloatArray.fromArray(w), din = FloatArray.fromArray(in);
        int rt = TornadoEngine.rowThreads(cols);
        String g = name();
        WorkerGrid1D wg = new WorkerGrid1D(TornadoEngine.bandGroups(rows, rt) * LOCAL);
        wg.setLocalWork(LOCAL, 1, 1);
        GridScheduler grid = new GridScheduler();
        grid.addWorkerGrid(g + ".m", wg);
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dy, dv, dw, din)
                .task("a", TornadoKernels::addAt, dy, yOff, dv, vOff, n)
                .task("m", TornadoKernels::matvecAddScaledF32, new KernelContext(), dw, din, dy, rows, cols, LOCAL, rt, 50, 0.5f)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, dy), grid);
        assertClose(ey, dy, 1e-5f, "addAt + matvecAddScaled at offsets");
    }

    @Test
    void swigluAddAndAddScaledMatchCpu() {
        int n = 1000;
        float[] gate = random(n, 2f), up = random(n, 1f), y = random(n, 1f), v = random(n + 5, 1f);
        float[] eg = gate.clone();
        Kernels.swiglu(eg, up, n);
        float[] ey = y.clone();
        Kernels.add(ey, up, n);
        for (int i = 0; i < n; i++) {
            ey[i] += 1.5f * v[5 + i];
        }
        float[] gateUp = new float[2 * n];
        System.arraycopy(gate, 0, gateUp, 0, n);
        System.arraycopy(up, 0, gateUp, n, n);
        FloatArray dg = FloatArray.fromArray(gateUp), du = FloatArray.fromArray(up), dy = FloatArray.fromArray(y), dv = FloatArray.fromArray(v);
        run(new TaskGraph(name()).transferToDevice(DataTransferMode.FIRST_EXECUTION, dg, du, dy, dv)
                .task("s", TornadoKernels::swiglu, dg, n)
                .task("a", TornadoKernels::add, dy, du, n)
                .task("b", TornadoKernels::addScaled, dy, dv, 5, 1.5f, n)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, dg, dy), null);
        for (int i = 0; i < n; i++) {
            assertEquals(eg[i], dg.get(i), 1e-5f * Math.max(1f, Math.abs(eg[i])), "swiglu " + i);
            assertEquals(up[i], dg.get(n + i), 0f, "up half untouched " + i);
        }
        assertClose(ey, dy, 1e-5f, "add + addScaled");
    }

    @Test
    void ablationMatchesCpuAndRemovesTheDirection() {
        int dim = 300;
        float[] x = random(dim, 1f);
        DeviceEdit.Ablation a = new DeviceEdit.Ablation(new Site(SiteKind.RESID_POST, 0), random(dim, 1f), 1f);
        float[] expected = x.clone();
        HostSteering.ablate(expected, a.direction(), 1f);
        FloatArray dx = FloatArray.fromArray(x), dd = FloatArray.fromArray(a.direction());
        String g = name();
        run(new TaskGraph(g).transferToDevice(DataTransferMode.FIRST_EXECUTION, dx, dd)
                .task("t", TornadoKernels::ablate, new KernelContext(), dx, dd, dim, 1f, LOCAL)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, dx), grid(g, 1));
        assertClose(expected, dx, 1e-4f, "ablation");
        float along = 0;
        for (int i = 0; i < dim; i++) {
            along += dx.get(i) * a.direction()[i];
        }
        assertEquals(0f, along, 1e-4f, "component left along the direction");
    }

    @Test
    void matSteerMatchesCpuAndKeepsTheNorm() {
        int dim = 200, n = 3;
        float[][] theta = new float[n][], gw = new float[n][];
        for (int t = 0; t < n; t++) {
            theta[t] = random(dim, 0.5f);
            gw[t] = random(dim, 0.1f);
        }
        DeviceEdit.MatSteer m = new DeviceEdit.MatSteer(new Site(SiteKind.ATTN_HEADS, 0), theta, gw, new float[] {0.5f, -1f, 0f});
        float[] a = random(dim, 1f);
        float[] expected = a.clone();
        HostSteering.matSteer(expected, m);
        FloatArray da = FloatArray.fromArray(a), dt = FloatArray.fromArray(DeviceEdit.flatten(theta));
        FloatArray dw = FloatArray.fromArray(DeviceEdit.flatten(gw)), db = FloatArray.fromArray(m.gateBias()), gates = new FloatArray(n + 1);
        String g1 = name();
        run(new TaskGraph(g1).transferToDevice(DataTransferMode.FIRST_EXECUTION, da, dw, db)
                .task("t", TornadoKernels::matSteerGates, new KernelContext(), da, dw, db, gates, dim, n, LOCAL)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, gates), grid(g1, n + 1));
        String g2 = name();
        run(new TaskGraph(g2).transferToDevice(DataTransferMode.FIRST_EXECUTION, da, dt, gates)
                .task("e", TornadoKernels::matSteerEdit, da, dt, gates, dim, n)
                .task("t", TornadoKernels::matSteerRenorm, new KernelContext(), da, gates, dim, n, LOCAL)
                .transferToHost(DataTransferMode.EVERY_EXECUTION, da), grid(g2, 1));
        assertClose(expected, da, 1e-4f, "MAT-Steer");
        double before = 0, after = 0, moved = 0;
        for (int i = 0; i < dim; i++) {
            before += a[i] * a[i];
            after += da.get(i) * da.get(i);
            moved += Math.abs(da.get(i) - a[i]);
        }
        assertEquals(Math.sqrt(before), Math.sqrt(after), 1e-3 * Math.sqrt(before), "norm preserved");
        assertTrue(moved > 0.1, "the edit changed the activation");
    }
}
