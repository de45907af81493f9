package io.jsteer.model;

/**
 * Precomputed cos/sin of the rotary angles, {@code [position][headSize/2]}, and the rotation
 * itself. Frequency i is theta^(-2i/headSize) (scaled for Llama 3 when configured).
 */
public final class RopeTable {

    private final int half;
    private final RopeStyle style;
    private final float[] cos;
    private final float[] sin;

    public RopeTable(LlamaConfig c, int maxPositions) {
        this(c, null, maxPositions);
    }

    /** @param factors the weights' {@code rope_freqs} divisors, or null */
    public RopeTable(LlamaConfig c, float[] factors, int maxPositions) {
        this.half = c.headSize() / 2;
        this.style = c.ropeStyle();
        this.cos = new float[maxPositions * half];
        this.sin = new float[maxPositions * half];
        double[] freq = frequencies(c, factors);
        for (int i = 0; i < half; i++) {
            for (int p = 0; p < maxPositions; p++) {
                double angle = p * freq[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    /** Inverse frequencies used for dimension pair i, without RoPE factors. */
    public static double[] frequencies(LlamaConfig c) {
        return frequencies(c, null);
    }

    /**
     * The one definition of the rotary frequencies, for every path (CPU, trainable, GPU): pair i
     * turns by {@code theta^(-2i/headSize)} per position, rescaled for Llama 3 when the config
     * says so, and divided by {@code factors[i]} when the file carries llama.cpp's
     * {@code rope_freqs} tensor (how converted Llama 3.1+ files store that same scaling).
     */
    public static double[] frequencies(LlamaConfig c, float[] factors) {
        double[] f = new double[c.headSize() / 2];
        if (factors != null && factors.length != f.length) {
            throw new IllegalArgumentException("rope_freqs has " + factors.length + " values, the head size needs " + f.length);
        }
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headSize());
            if (c.ropeScaling() != null) {
                f[i] = c.ropeScaling().scale(f[i]);
            }
            if (factors != null) {
                f[i] /= factors[i];
            }
        }
        return f;
    }

    /** Rotates {@code heads} consecutive heads of {@code 2*half} values in {@code x} for position {@code pos}. */
    public void rotate(float[] x, int heads, int pos) {
        int hs = 2 * half;
        int base = pos * half;
        for (int h = 0; h < heads; h++) {
            int o = h * hs;
            for (int i = 0; i < half; i++) {
                float fc = cos[base + i], fs = sin[base + i];
                // NORMAL pairs neighbours (2i, 2i+1); NEOX pairs the two halves (i, i + half).
                int a = style == RopeStyle.NORMAL ? o + 2 * i : o + i;
                int b = style == RopeStyle.NORMAL ? a + 1 : a + half;
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * fc - x1 * fs;
                x[b] = x0 * fs + x1 * fc;
            }
        }
    }
}
