package io.jsteer.steering.kts;

import java.util.List;

/**
 * Settings of the KL stage (spec §2, scaled down per §7). Defaults: {@link #demo()}.
 *
 * @param rank              LoRA rank r
 * @param alpha             LoRA alpha (scale α/r)
 * @param learningRate      AdamW peak rate (cosine decay to 0, no warm-up)
 * @param weightDecay       AdamW decoupled weight decay
 * @param steps             optimiser steps
 * @param batchSize         sequences per micro-batch
 * @param gradAccumulation  micro-batches per optimiser step (each draws its own steering)
 * @param clipNorm          global gradient-norm clip (0: none)
 * @param steerProbability  chance that a micro-batch is steered
 * @param cMax              steering multipliers are drawn as c_max·U(−1, 1)
 * @param steerBlocks       blocks whose resid_post is steered (0-based)
 * @param refreshEvery      recompute the pool vectors from the current model every N steps
 *                          (spec §6.7 deviation from per-step recompute)
 * @param pairsPerConcept   contrast pairs per pool concept
 * @param forwardKl         false: KL(q_steered ‖ p_orig) (the paper's code), true: KL(p_orig ‖ q)
 * @param checkpointEvery   steps between checkpoints (0: only at the end)
 * @param seed              seeds adapter initialisation and every per-step draw
 * @param normaliseVectors  scale every steering vector (pool and target) to total norm 1 over its
 *                          blocks, keeping the ratios between blocks, so that one c_max fits
 *                          vectors of very different raw norms (a deviation from §1, see KTS.md)
 * @param loraDropout       PEFT lora_dropout of the adapter's side paths during training, in [0, 1)
 *                          (the spec's runs use 0); masks come from the step's seed, so runs stay
 *                          deterministic and resumable
 * @param loraLayers        PEFT layers_to_transform: the adapted blocks (null: every block)
 * @param recompute         recompute each block in the backward pass instead of keeping its
 *                          activations (less memory, one more forward per block); the result is
 *                          the same up to float rounding, so a checkpoint may be resumed with
 *                          either setting
 */
public record KtsTrainConfig(int rank, double alpha, double learningRate, double weightDecay, int steps, int batchSize,
                             int gradAccumulation, double clipNorm, double steerProbability, double cMax,
                             List<Integer> steerBlocks, int refreshEvery, int pairsPerConcept, boolean forwardKl,
                             int checkpointEvery, long seed, boolean normaliseVectors, double loraDropout,
                             List<Integer> loraLayers, boolean recompute) {

    public KtsTrainConfig {
        check(rank >= 1, "rank", rank, "at least 1");
        check(alpha > 0, "alpha", alpha, "positive");
        check(learningRate > 0, "learning rate", learningRate, "positive");
        check(weightDecay >= 0, "weight decay", weightDecay, "0 or more");
        check(steps >= 1, "steps", steps, "at least 1");
        check(batchSize >= 1, "batch size", batchSize, "at least 1");
        check(gradAccumulation >= 1, "gradient accumulation", gradAccumulation, "at least 1");
        check(clipNorm >= 0, "clip norm", clipNorm, "0 or more");
        check(steerProbability >= 0 && steerProbability <= 1, "steering probability", steerProbability, "in [0, 1]");
        check(cMax >= 0, "c_max", cMax, "0 or more");
        check(!steerBlocks.isEmpty(), "steering blocks", steerBlocks, "non-empty");
        check(refreshEvery >= 1, "refresh interval", refreshEvery, "at least 1");
        check(pairsPerConcept >= 1, "pairs per concept", pairsPerConcept, "at least 1");
        check(checkpointEvery >= 0, "checkpoint interval", checkpointEvery, "0 or more");
        check(loraDropout >= 0 && loraDropout < 1, "LoRA dropout", loraDropout, "in [0, 1)");
        check(loraLayers == null || !loraLayers.isEmpty(), "LoRA layers", loraLayers, "non-empty (or null for every block)");
        steerBlocks = List.copyOf(steerBlocks);
        loraLayers = loraLayers == null ? null : List.copyOf(loraLayers);
    }

    /** The same settings with block recomputation on or off (it does not change what is trained). */
    public KtsTrainConfig withRecompute(boolean on) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, seed,
                normaliseVectors, loraDropout, loraLayers, on);
    }

    /** LoRA dropout p and adapted blocks (null: every block). */
    public KtsTrainConfig withLora(double dropout, List<Integer> layers) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, seed,
                normaliseVectors, dropout, layers, recompute);
    }

    private static void check(boolean ok, String what, Object value, String need) {
        if (!ok) {
            throw new IllegalArgumentException("KTS " + what + " must be " + need + ", got " + value);
        }
    }

    /**
     * Spec §7 for stories260K (5 blocks): r 8, α 16 on every block, no LoRA dropout, lr 1e-3, steering
     * probability 0.5, blocks 1–3, refresh every 50, blocks recomputed in the backward pass (as
     * {@code jsteer kts train} does by default: it bounds memory for about the same step time).
     */
    public static KtsTrainConfig demo() {
        return new KtsTrainConfig(8, 16, 1e-3, 0, 300, 16, 1, 1.0, 0.5, 0, List.of(1, 2, 3), 50, 16, false, 50, 19, true,
                0, null, true);
    }

    public KtsTrainConfig withSteps(int s) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, s, batchSize, gradAccumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, seed, normaliseVectors,
                loraDropout, loraLayers, recompute);
    }

    public KtsTrainConfig withNormalisedVectors(boolean normalise) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, seed, normalise,
                loraDropout, loraLayers, recompute);
    }

    public KtsTrainConfig withCMax(double c) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                steerProbability, c, steerBlocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, seed, normaliseVectors,
                loraDropout, loraLayers, recompute);
    }

    public KtsTrainConfig withBatch(int batch, int accumulation) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batch, accumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, seed, normaliseVectors,
                loraDropout, loraLayers, recompute);
    }

    public KtsTrainConfig withSchedule(int refresh, int checkpoint) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refresh, pairsPerConcept, forwardKl, checkpoint, seed, normaliseVectors,
                loraDropout, loraLayers, recompute);
    }

    public KtsTrainConfig withSteering(double probability, List<Integer> blocks) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                probability, cMax, blocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, seed, normaliseVectors,
                loraDropout, loraLayers, recompute);
    }

    public KtsTrainConfig withForwardKl(boolean forward) {
        return new KtsTrainConfig(rank, alpha, learningRate, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refreshEvery, pairsPerConcept, forward, checkpointEvery, seed, normaliseVectors,
                loraDropout, loraLayers, recompute);
    }

    public KtsTrainConfig withRate(double lr, long newSeed) {
        return new KtsTrainConfig(rank, alpha, lr, weightDecay, steps, batchSize, gradAccumulation, clipNorm,
                steerProbability, cMax, steerBlocks, refreshEvery, pairsPerConcept, forwardKl, checkpointEvery, newSeed, normaliseVectors,
                loraDropout, loraLayers, recompute);
    }
}
