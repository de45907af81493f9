package io.jsteer.bench;

import io.jsteer.tensor.Parallel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * This machine's memory bandwidth measured from Java, STREAM-style: arrays far larger than the
 * caches, each kernel timed several times over all of them with the given threads, the best time
 * kept (as STREAM reports). Bytes are counted as STREAM counts them (reads + writes, no
 * write-allocate traffic). Decode reads its weights and writes almost nothing, so the read kernel
 * (a sum over one array) is the roofline that decode is held against; copy and triad are reported
 * alongside so that the figure can be compared with STREAM's.
 *
 * @param readBytesPerSecond  sum of a[i]: 4 bytes per element
 * @param copyBytesPerSecond  c[i] = a[i]: 8 bytes per element
 * @param triadBytesPerSecond a[i] = b[i] + s·c[i]: 12 bytes per element
 * @param arrayBytes          size of each array
 */
public record MemoryBandwidth(double readBytesPerSecond, double copyBytesPerSecond, double triadBytesPerSecond, long arrayBytes,
                              int threads) {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Elements per array by default: 3 × 64 MB, well past the L3 of this machine kind (32 MB). */
    public static final int DEFAULT_ELEMENTS = 16 << 20;

    /** The bandwidth that decode is held against: the read kernel's. */
    public double roofline() {
        return readBytesPerSecond;
    }

    /** Measures with {@link #DEFAULT_ELEMENTS} floats per array, best of 5 passes per kernel. */
    public static MemoryBandwidth measure(Parallel par) {
        return measure(par, DEFAULT_ELEMENTS, 5);
    }

    public static MemoryBandwidth measure(Parallel par, int elements, int passes) {
        if (elements < S.length() || passes < 1) {
            throw new IllegalArgumentException("the bandwidth measurement needs at least " + S.length() + " elements and one pass");
        }
        float[] a = new float[elements], b = new float[elements], c = new float[elements];
        Arrays.fill(a, 1f);
        Arrays.fill(b, 2f);
        Arrays.fill(c, 0.5f);
        double[] sink = new double[par.threads() * 8]; // per-chunk sums, kept so the reads are not dead code
        long read = Long.MAX_VALUE, copy = Long.MAX_VALUE, triad = Long.MAX_VALUE;
        int minChunk = Math.max(S.length(), elements / par.threads());
        // the Vector API is fast only once C2 has compiled the loops: run them on a cache-sized slice until it has
        int slice = Math.min(elements, 1 << 14);
        for (int i = 0; i < 2_000; i++) {
            sink[0] += sum(a, 0, slice);
            triad(a, b, c, 3f, 0, slice);
        }
        for (int pass = 0; pass < passes + 1; pass++) { // pass 0 warms up the JIT and pages in the arrays
            long t0 = System.nanoTime();
            par.forRange(elements, minChunk, (from, to) -> sink[slot(from, elements, par.threads())] += sum(a, from, to));
            long t1 = System.nanoTime();
            par.forRange(elements, minChunk, (from, to) -> copy(a, c, from, to));
            long t2 = System.nanoTime();
            par.forRange(elements, minChunk, (from, to) -> triad(a, b, c, 3f, from, to));
            long t3 = System.nanoTime();
            if (pass > 0) {
                read = Math.min(read, t1 - t0);
                copy = Math.min(copy, t2 - t1);
                triad = Math.min(triad, t3 - t2);
            }
        }
        if (Double.isNaN(Arrays.stream(sink).sum())) {
            throw new AssertionError("unreachable: keeps the sums alive");
        }
        double n = elements;
        return new MemoryBandwidth(4 * n * 1e9 / read, 8 * n * 1e9 / copy, 12 * n * 1e9 / triad, 4L * elements, par.threads());
    }

    private static int slot(int from, int n, int threads) {
        return (int) ((long) from * threads / n) * 8;
    }

    private static double sum(float[] a, int from, int to) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = FloatVector.zero(S);
        int i = from, step = 2 * S.length();
        for (; i + step <= to; i += step) {
            acc0 = acc0.add(FloatVector.fromArray(S, a, i));
            acc1 = acc1.add(FloatVector.fromArray(S, a, i + S.length()));
        }
        double s = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < to; i++) {
            s += a[i];
        }
        return s;
    }

    private static void copy(float[] a, float[] c, int from, int to) {
        System.arraycopy(a, from, c, from, to - from);
    }

    private static void triad(float[] a, float[] b, float[] c, float s, int from, int to) {
        int i = from;
        for (; i + S.length() <= to; i += S.length()) {
            FloatVector.fromArray(S, c, i).fma(FloatVector.broadcast(S, s), FloatVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < to; i++) {
            a[i] = b[i] + s * c[i];
        }
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.1f GB/s read, %.1f copy, %.1f triad (STREAM-style, %d MB arrays, %d threads)",
                readBytesPerSecond / 1e9, copyBytesPerSecond / 1e9, triadBytesPerSecond / 1e9, arrayBytes >> 20, threads);
    }
}
