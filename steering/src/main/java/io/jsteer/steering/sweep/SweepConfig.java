package io.jsteer.steering.sweep;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What a sweep runs: every layer × every non-zero strength, plus one unsteered baseline.
 *
 * @param layers          0-based blocks to steer at
 * @param strengths       strengths (multipliers) to try; 0 is the baseline and runs once whatever is listed
 * @param prompts         generation prompts; sample i uses prompt i mod prompts.size()
 * @param samples         texts sampled per cell (0 only with a metric that reads no text)
 * @param maxTokens       new tokens per sample at most
 * @param temperature     sampling temperature (0 = greedy)
 * @param topP            nucleus sampling mass, in (0, 1]
 * @param seed            sample i is drawn with seed {@code seed + i·φ} in every cell, so cells differ only by steering
 * @param klPrompts       benign prompts for KL against the unsteered model (at least one)
 * @param perplexityTexts held-out texts for perplexity; empty = no perplexity
 * @param keepSamples     how many of each cell's texts the result keeps for reading
 * @param progress        show a progress bar over cells on stderr
 */
public record SweepConfig(List<Integer> layers, List<Double> strengths, List<String> prompts, int samples, int maxTokens,
                          float temperature, float topP, long seed, List<String> klPrompts, List<String> perplexityTexts,
                          int keepSamples, boolean progress) implements java.io.Serializable {

    public SweepConfig {
        layers = List.copyOf(new LinkedHashSet<>(layers));
        strengths = List.copyOf(new LinkedHashSet<>(strengths));
        prompts = List.copyOf(prompts);
        klPrompts = List.copyOf(klPrompts);
        perplexityTexts = List.copyOf(perplexityTexts);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("sweep: --layers is empty");
        }
        for (int l : layers) {
            if (l < 0) {
                throw new IllegalArgumentException("sweep: layer " + l + " is negative (layers are 0-based)");
            }
        }
        if (strengths.isEmpty()) {
            throw new IllegalArgumentException("sweep: --strengths is empty");
        }
        for (double s : strengths) {
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException("sweep: strength " + s + " is not finite");
            }
        }
        if (samples < 0) {
            throw new IllegalArgumentException("sweep: --samples must be 0 or more, got " + samples);
        }
        if (samples > 0 && prompts.isEmpty()) {
            throw new IllegalArgumentException("sweep: " + samples + " samples asked for but no generation prompt given");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("sweep: --max-tokens must be at least 1, got " + maxTokens);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("sweep: --temperature must be 0 or more, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("sweep: --top-p must be in (0, 1], got " + topP);
        }
        if (klPrompts.isEmpty()) {
            throw new IllegalArgumentException("sweep: KL needs at least one benign prompt");
        }
        if (keepSamples < 0) {
            throw new IllegalArgumentException("sweep: keepSamples must be 0 or more, got " + keepSamples);
        }
    }

    /** The strengths other than 0, in the given order: the steered cells per layer. */
    public List<Double> steeredStrengths() {
        List<Double> out = new ArrayList<>();
        for (double s : strengths) {
            if (s != 0) {
                out.add(s);
            }
        }
        return out;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults: 50 samples of 64 tokens at temperature 0.8, top-p 1, seed 42, 3 kept texts, progress on. */
    public static final class Builder {
        private List<Integer> layers = List.of();
        private List<Double> strengths = List.of();
        private List<String> prompts = List.of();
        private int samples = 50;
        private int maxTokens = 64;
        private float temperature = 0.8f;
        private float topP = 1f;
        private long seed = 42;
        private List<String> klPrompts = List.of();
        private List<String> perplexityTexts = List.of();
        private int keepSamples = 3;
        private boolean progress = true;

        public Builder layers(List<Integer> v) { layers = v; return this; }
        public Builder strengths(List<Double> v) { strengths = v; return this; }
        public Builder prompts(List<String> v) { prompts = v; return this; }
        public Builder samples(int v) { samples = v; return this; }
        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder temperature(float v) { temperature = v; return this; }
        public Builder topP(float v) { topP = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder klPrompts(List<String> v) { klPrompts = v; return this; }
        public Builder perplexityTexts(List<String> v) { perplexityTexts = v; return this; }
        public Builder keepSamples(int v) { keepSamples = v; return this; }
        public Builder progress(boolean v) { progress = v; return this; }

        public SweepConfig build() {
            return new SweepConfig(layers, strengths, prompts, samples, maxTokens, temperature, topP, seed, klPrompts,
                    perplexityTexts, keepSamples, progress);
        }
    }
}
