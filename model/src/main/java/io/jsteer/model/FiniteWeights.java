package io.jsteer.model;

import io.jsteer.tensor.FloatTensor;
import java.nio.file.Path;

/**
 * The load-time check that a model's weights hold finite numbers (a NaN or infinity in a weight
 * turns every later activation into NaN and the output into "⁇" tokens).
 *
 * <p>Load must stay fast on memory-mapped multi-GB files, where reading every weight would page
 * in the whole file (seconds to minutes on a cold disk). So: a tensor of at most
 * {@link #FULL_SCAN_ELEMENTS} elements is scanned whole (every RMSNorm vector; every matrix of the
 * small models); a larger one is sampled, {@link #WINDOW} elements at its start, middle and end
 * (a few pages each). What the samples miss is caught while generating: {@link Generator} stops
 * with {@link NonFiniteLogitsException} when logits stop being finite.
 */
public final class FiniteWeights {

    /** Tensors up to this many elements (4 MiB as F32) are scanned whole. */
    public static final long FULL_SCAN_ELEMENTS = 1L << 20;
    /** Elements per sampled window of a larger tensor; a multiple of every block size (32, 256). */
    static final int WINDOW = 4096;

    private FiniteWeights() {}

    /** @throws IllegalArgumentException naming the file, the tensor and the first bad element */
    public static void check(Path file, String name, FloatTensor t) {
        long n = t.size();
        if (n <= FULL_SCAN_ELEMENTS) {
            scan(file, name, t, 0, n);
            return;
        }
        long mid = (n / 2) / 256 * 256, end = Math.max(0, (n - WINDOW) / 256 * 256);
        scan(file, name, t, 0, WINDOW);
        scan(file, name, t, mid, Math.min(WINDOW, n - mid));
        scan(file, name, t, end, n - end); // to the last element (the start is block-aligned, so a little over WINDOW)
    }

    /** The same check for a vector already copied out (norm weights). */
    public static void check(Path file, String name, float[] v) {
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw bad(file, name, i, v[i]);
            }
        }
    }

    private static void scan(Path file, String name, FloatTensor t, long from, long count) {
        float[] buf = new float[(int) Math.min(count, 1 << 16)];
        for (long done = 0; done < count; ) {
            int k = (int) Math.min(buf.length, count - done);
            t.copyTo(from + done, buf, 0, k);
            for (int i = 0; i < k; i++) {
                if (!Float.isFinite(buf[i])) {
                    throw bad(file, name, from + done + i, buf[i]);
                }
            }
            done += k;
        }
    }

    private static IllegalArgumentException bad(Path file, String name, long index, float value) {
        return new IllegalArgumentException(file + ": tensor " + name + " element " + index + " is " + value
                + " (a usable model holds finite weights; the file is damaged or was converted wrongly)");
    }
}
