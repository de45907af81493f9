package io.jsteer.tensor;

/**
 * Writes Q4_K and Q6_K super-blocks (the layouts {@link Q4_KTensor} and {@link Q6_KTensor} read).
 * Each sub-block's scale (and Q4_K's min) is chosen by a small search: for a few candidate inverse
 * scales around the range-filling one, round every value, re-fit the scale (and min) to those
 * integers by least squares, and keep the candidate with the smallest squared error. The
 * sub-block scales are then themselves quantized (6 bits under float16 d/dmin for Q4_K, 8 bits
 * under float16 d for Q6_K) and the values rounded again against the scales actually stored, so
 * that what is written is what a reader reconstructs.
 */
final class KQuantizer {

    static final int SUPER = 256;
    /** Candidate inverse scales tried per sub-block on each side of the range-filling one. */
    private static final int STEPS = 10;

    private KQuantizer() {}

    /** A fitted sub-block: x ≈ scale·q − min with q in [0, levels) (min = 0 for symmetric types). */
    record Fit(float scale, float min) {}

    /**
     * Asymmetric fit for Q4_K: q = round((x + min)/scale) in [0, nmax], min ≥ 0 (the sub-block's
     * minimum when it is negative, else 0, as a reader subtracts dmin·m).
     */
    static Fit asymmetric(float[] x, int off, int n, int nmax) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, x[off + i]);
            hi = Math.max(hi, x[off + i]);
        }
        lo = Math.min(lo, 0f);
        if (hi <= lo) {
            return new Fit(0f, -lo);
        }
        Fit best = new Fit((hi - lo) / nmax, -lo);
        double bestErr = error(x, off, n, best, nmax, 0);
        for (int s = -STEPS; s <= STEPS; s++) {
            float iscale = (nmax + 0.1f * s) / (hi - lo);
            // integers for this candidate, then the least-squares scale and offset for them
            double sl = 0, sll = 0, sx = 0, slx = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(Math.round(iscale * (x[off + i] - lo)), 0, nmax);
                sl += l;
                sll += (double) l * l;
                sx += x[off + i];
                slx += l * (double) x[off + i];
            }
            double det = n * sll - sl * sl;
            if (det <= 0) {
                continue;
            }
            double scale = (n * slx - sl * sx) / det, offset = (sx - scale * sl) / n; // x ≈ scale·l + offset
            if (offset > 0) { // a reader's min is never positive: refit the scale through the origin
                offset = 0;
                scale = slx / sll;
            }
            if (scale <= 0) {
                continue;
            }
            Fit f = new Fit((float) scale, (float) -offset);
            double err = error(x, off, n, f, nmax, 0);
            if (err < bestErr) {
                bestErr = err;
                best = f;
            }
        }
        return best;
    }

    /** Symmetric fit for Q6_K: q = round(x/scale) in [−32, 31] (the scale may be negative, so that the longest value reaches −32). */
    static float symmetric(float[] x, int off, int n) {
        float amax = 0, max = 0;
        for (int i = 0; i < n; i++) {
            if (Math.abs(x[off + i]) > amax) {
                amax = Math.abs(x[off + i]);
                max = x[off + i];
            }
        }
        if (amax == 0) {
            return 0f;
        }
        float best = max / -32f;
        double bestErr = error(x, off, n, new Fit(best, 0), 31, -32);
        for (int s = -STEPS; s <= STEPS; s++) {
            float iscale = (-32f + 0.1f * s) / max;
            double slx = 0, sll = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(Math.round(iscale * x[off + i]), -32, 31);
                slx += l * (double) x[off + i];
                sll += (double) l * l;
            }
            if (sll == 0) {
                continue;
            }
            float scale = (float) (slx / sll);
            double err = error(x, off, n, new Fit(scale, 0), 31, -32);
            if (err < bestErr) {
                bestErr = err;
                best = scale;
            }
        }
        return best;
    }

    /** Squared error of x against scale·clamp(round((x + min)/scale)) − min. */
    private static double error(float[] x, int off, int n, Fit f, int qmax, int qmin) {
        if (f.scale() == 0) {
            double e = 0;
            for (int i = 0; i < n; i++) {
                double d = x[off + i] + f.min();
                e += d * d;
            }
            return e;
        }
        float inv = 1f / f.scale();
        double e = 0;
        for (int i = 0; i < n; i++) {
            int l = clamp(Math.round((x[off + i] + f.min()) * inv), qmin, qmax);
            double d = f.scale() * l - f.min() - x[off + i];
            e += d * d;
        }
        return e;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    static void putHalf(byte[] out, int at, float v) {
        short h = Float.floatToFloat16(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >> 8);
    }

    static float half(byte[] raw, int at) {
        return QuantizedTensor.half(raw, at);
    }

    /** Q4_K: 144 bytes per 256 values (float16 d, dmin; 12 bytes of 6-bit scales and mins; 128 bytes of nibbles). */
    static byte[] q4K(float[] values) {
        requireSuperBlocks(values.length, "Q4_K");
        int blocks = values.length / SUPER;
        byte[] out = new byte[blocks * 144];
        float[] scales = new float[8], mins = new float[8];
        int[] ls = new int[8], lm = new int[8];
        int[] q = new int[SUPER];
        for (int b = 0; b < blocks; b++) {
            int x0 = b * SUPER, r = b * 144;
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; j++) {
                Fit f = asymmetric(values, x0 + 32 * j, 32, 15);
                scales[j] = f.scale();
                mins[j] = f.min();
                maxScale = Math.max(maxScale, scales[j]);
                maxMin = Math.max(maxMin, mins[j]);
            }
            // the stored float16 d and dmin, and 6-bit multiples of them per sub-block
            putHalf(out, r, maxScale / 63f);
            putHalf(out, r + 2, maxMin / 63f);
            float d = half(out, r), dmin = half(out, r + 2);
            for (int j = 0; j < 8; j++) {
                ls[j] = d > 0 ? clamp(Math.round(scales[j] / d), 0, 63) : 0;
                lm[j] = dmin > 0 ? clamp(Math.round(mins[j] / dmin), 0, 63) : 0;
            }
            for (int j = 0; j < 4; j++) {
                out[r + 4 + j] = (byte) (ls[j] | (ls[j + 4] >> 4) << 6);
                out[r + 8 + j] = (byte) (lm[j] | (lm[j + 4] >> 4) << 6);
                out[r + 12 + j] = (byte) ((ls[j + 4] & 15) | (lm[j + 4] & 15) << 4);
            }
            for (int j = 0; j < 8; j++) {
                float s = d * ls[j], m = dmin * lm[j];
                for (int i = 0; i < 32; i++) {
                    q[32 * j + i] = s > 0 ? clamp(Math.round((values[x0 + 32 * j + i] + m) / s), 0, 15) : 0;
                }
            }
            // 32 bytes per 64 values: low nibble value i, high nibble value i + 32
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < 32; i++) {
                    out[r + 16 + 32 * k + i] = (byte) (q[64 * k + i] | q[64 * k + 32 + i] << 4);
                }
            }
        }
        return out;
    }

    /** Q6_K: 210 bytes per 256 values (128 bytes of low nibbles, 64 of high bit pairs, 16 int8 scales, float16 d). */
    static byte[] q6K(float[] values) {
        requireSuperBlocks(values.length, "Q6_K");
        int blocks = values.length / SUPER;
        byte[] out = new byte[blocks * 210];
        float[] scales = new float[16];
        int[] q = new int[SUPER];
        for (int b = 0; b < blocks; b++) {
            int x0 = b * SUPER, r = b * 210;
            float amax = 0, max = 0;
            for (int j = 0; j < 16; j++) {
                scales[j] = symmetric(values, x0 + 16 * j, 16);
                if (Math.abs(scales[j]) > amax) {
                    amax = Math.abs(scales[j]);
                    max = scales[j];
                }
            }
            putHalf(out, r + 208, max / -128f);
            float d = half(out, r + 208);
            for (int j = 0; j < 16; j++) {
                int l = d != 0 ? clamp(Math.round(scales[j] / d), -128, 127) : 0;
                out[r + 192 + j] = (byte) l;
                float s = d * l;
                for (int i = 0; i < 16; i++) {
                    q[16 * j + i] = (s != 0 ? clamp(Math.round(values[x0 + 16 * j + i] / s), -32, 31) : 0) + 32;
                }
            }
            // per half h (128 values): ql[64h + i] holds values i (low) and i + 64 (high) for i < 32,
            // ql[64h + 32 + i] values i + 32 and i + 96; qh[32h + i] holds the top bit pairs of i, i + 32, i + 64, i + 96
            for (int h = 0; h < 2; h++) {
                int v = 128 * h;
                for (int i = 0; i < 32; i++) {
                    int q1 = q[v + i], q2 = q[v + 32 + i], q3 = q[v + 64 + i], q4 = q[v + 96 + i];
                    out[r + 64 * h + i] = (byte) ((q1 & 15) | (q3 & 15) << 4);
                    out[r + 64 * h + 32 + i] = (byte) ((q2 & 15) | (q4 & 15) << 4);
                    out[r + 128 + 32 * h + i] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
                }
            }
        }
        return out;
    }

    private static void requireSuperBlocks(int n, String type) {
        if (n % SUPER != 0) {
            throw new IllegalArgumentException(type + " needs rows of a multiple of 256 values (its super-blocks), got " + n);
        }
    }
}
