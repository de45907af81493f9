package io.jsteer.model;

/**
 * Llama 3.1/3.2 frequency scaling of RoPE: long wavelengths are divided by {@code factor},
 * short ones kept, and the band between blended smoothly.
 */
public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalContextLength) {

    /** Scales one inverse frequency (radians per position). */
    public double scale(double freq) {
        double lowFreqWavelen = originalContextLength / lowFreqFactor;
        double highFreqWavelen = originalContextLength / highFreqFactor;
        double wavelen = 2 * Math.PI / freq;
        if (wavelen < highFreqWavelen) {
            return freq;
        }
        if (wavelen > lowFreqWavelen) {
            return freq / factor;
        }
        double smooth = (originalContextLength / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * freq / factor + smooth * freq;
    }
}
