package io.jsteer.tensor.autograd;

/**
 * RoPE parameters of one model: the head size, the pair layout and the angular frequency of
 * each of the {@code headSize/2} pairs (a position p rotates pair i by {@code p * freqs[i]}).
 * Llama 3's frequency scaling is applied by whoever builds {@code freqs}.
 */
public record RopeFrequencies(int headSize, RopeLayout layout, double[] freqs) {

    public RopeFrequencies {
        if (headSize % 2 != 0 || freqs.length != headSize / 2) {
            throw new IllegalArgumentException("head size " + headSize + " needs " + headSize / 2
                    + " frequencies, got " + freqs.length);
        }
        freqs = freqs.clone();
    }

    /** The standard frequencies {@code theta^(-2i/headSize)}. */
    public static RopeFrequencies standard(int headSize, double theta, RopeLayout layout) {
        double[] f = new double[headSize / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = Math.pow(theta, -2.0 * i / headSize);
        }
        return new RopeFrequencies(headSize, layout, f);
    }

    @Override
    public double[] freqs() { return freqs.clone(); }

    double freq(int i) { return freqs[i]; }
}
