package io.jsteer.steering.mat;

/**
 * Training settings; {@link #defaults()} are the paper's QA settings (spec §2–§3).
 *
 * @param weights   λ_mmd, λ_pos, λ_sparse, λ_ortho
 * @param bandwidth the Gaussian kernel's σ (fixed 2, or the median heuristic)
 * @param batchSize B; k = min(⌊B/(2T)⌋, n_min) rows per attribute and polarity
 * @param epochs    passes of ⌈n_min/k⌉ steps
 * @param learningRate Adam's lr (β = 0.9, 0.999; ε = 1e-8; no decay, schedule or clipping)
 * @param seed      initialisation and sampling
 */
public record TrainConfig(MatLoss.Weights weights, Bandwidth bandwidth, int batchSize, int epochs,
                          double learningRate, long seed) {

    public TrainConfig {
        if (batchSize < 2) {
            throw new IllegalArgumentException("batch size must be at least 2, got " + batchSize);
        }
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
        }
        if (!(learningRate > 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learning rate must be a positive number, got " + learningRate);
        }
    }

    public static TrainConfig defaults() {
        return new TrainConfig(MatLoss.Weights.QA, Bandwidth.PAPER, 96, 100, 1e-3, 42);
    }

    public TrainConfig withEpochs(int n) { return new TrainConfig(weights, bandwidth, batchSize, n, learningRate, seed); }

    public TrainConfig withBandwidth(Bandwidth b) { return new TrainConfig(weights, b, batchSize, epochs, learningRate, seed); }

    public TrainConfig withSeed(long s) { return new TrainConfig(weights, bandwidth, batchSize, epochs, learningRate, s); }
}
