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
 * @param thetaNorm 0 (the paper: θ is free), or the norm every θ_t is held at: after the
 *                  initialisation and after every Adam step each θ_t is rescaled to it. The
 *                  penalties act on the gates only, so with a free θ training can trade gate
 *                  height for vector length (g·θ is what edits); a fixed norm about the size of
 *                  the wanted edit (the CAA vectors' norms) makes a gate of 1 mean "the whole edit".
 * @param thetaInit how θ starts: {@link ThetaInit#RANDOM} (the paper code's N(0, I)) or
 *                  {@link ThetaInit#CAA}, each θ_t at its attribute's mean difference. The loss is
 *                  symmetric in the attributes (every gate is penalised on every row, and each
 *                  attribute's MMD sees the whole module's edit), so from a random start which
 *                  gate ends up serving which attribute is chance; starting each θ_t on its own
 *                  attribute's direction ties gate t to attribute t.
 * @param normPreserve rescale every edited activation to its original norm (the paper, on by
 *                  default); off is the "minus normalisation" row of the paper's Table 3 ablation
 */
public record TrainConfig(MatLoss.Weights weights, Bandwidth bandwidth, int batchSize, int epochs,
                          double learningRate, long seed, double thetaNorm, ThetaInit thetaInit,
                          boolean normPreserve) {

    /** How the steering vectors start. */
    public enum ThetaInit {
        RANDOM, CAA;

        public static ThetaInit parse(String s) {
            return switch (s) {
                case "random" -> RANDOM;
                case "caa" -> CAA;
                default -> throw new IllegalArgumentException("--theta-init must be random or caa, got '" + s + "'");
            };
        }
    }

    /** The paper's free, randomly initialised θ. */
    public TrainConfig(MatLoss.Weights weights, Bandwidth bandwidth, int batchSize, int epochs, double learningRate, long seed) {
        this(weights, bandwidth, batchSize, epochs, learningRate, seed, 0, ThetaInit.RANDOM, true);
    }

    /** With norm preservation on (the paper). */
    public TrainConfig(MatLoss.Weights weights, Bandwidth bandwidth, int batchSize, int epochs, double learningRate, long seed,
                       double thetaNorm, ThetaInit thetaInit) {
        this(weights, bandwidth, batchSize, epochs, learningRate, seed, thetaNorm, thetaInit, true);
    }

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
        java.util.Objects.requireNonNull(thetaInit, "thetaInit");
        if (!(thetaNorm >= 0 && Double.isFinite(thetaNorm))) {
            throw new IllegalArgumentException("theta norm (--theta-norm) must be 0 (free) or a positive number, got " + thetaNorm);
        }
    }

    public static TrainConfig defaults() {
        return new TrainConfig(MatLoss.Weights.QA, Bandwidth.PAPER, 96, 100, 1e-3, 42);
    }

    /** The paper's generation (HelpSteer) settings: λ_pos = λ_sparse = 0.8 and batch 160. */
    public static TrainConfig generation() {
        return new TrainConfig(MatLoss.Weights.GENERATION, Bandwidth.PAPER, 160, 100, 1e-3, 42);
    }

    public TrainConfig withEpochs(int n) { return new TrainConfig(weights, bandwidth, batchSize, n, learningRate, seed, thetaNorm, thetaInit, normPreserve); }

    public TrainConfig withBandwidth(Bandwidth b) { return new TrainConfig(weights, b, batchSize, epochs, learningRate, seed, thetaNorm, thetaInit, normPreserve); }

    public TrainConfig withSeed(long s) { return new TrainConfig(weights, bandwidth, batchSize, epochs, learningRate, s, thetaNorm, thetaInit, normPreserve); }

    public TrainConfig withThetaNorm(double n) { return new TrainConfig(weights, bandwidth, batchSize, epochs, learningRate, seed, n, thetaInit, normPreserve); }

    public TrainConfig withWeights(MatLoss.Weights w) { return new TrainConfig(w, bandwidth, batchSize, epochs, learningRate, seed, thetaNorm, thetaInit, normPreserve); }

    public TrainConfig withNormPreserve(boolean on) { return new TrainConfig(weights, bandwidth, batchSize, epochs, learningRate, seed, thetaNorm, thetaInit, on); }

    public TrainConfig withThetaInit(ThetaInit i) { return new TrainConfig(weights, bandwidth, batchSize, epochs, learningRate, seed, thetaNorm, i, normPreserve); }
}
