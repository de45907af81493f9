package io.jsteer.steering.kts;

import io.jsteer.steering.vectors.MeanDifference;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.kts.data.RenderedConcept;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraSpec;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.kts.graph.TrainableKtsGraph;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.tensor.optim.Adam;
import io.jsteer.tensor.optim.AdamW;
import io.jsteer.tensor.optim.GradientClipping;
import io.jsteer.tensor.optim.LearningRateSchedule;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * The KL stage of KTS (spec §2 with the §6 choices): a LoRA adapter is trained so that the
 * steered adapted model matches the unsteered original on benign sequences.
 *
 * <p>Each micro-batch is steered with probability {@code steerProbability}; then one pool
 * concept and {@code c = c_max·U(−1,1)} are drawn and {@code c·v_l} is added at resid_post of the
 * steered blocks at every position. The loss is {@code KL(q_θ,c,v ‖ p₀)} per position (forward
 * KL as an option), averaged over every real token of the step's micro-batches (sequences are
 * processed one at a time, so there is no padding to mask). Pool vectors are mean differences
 * recomputed on the current adapted model every {@code refreshEvery} steps.
 *
 * <p>All randomness of step s comes from {@code Random(seed, s)}, so the RNG state of a
 * checkpoint is its step number and a resumed run replays exactly what an uninterrupted one does;
 * the LoRA dropout masks of a sequence come from {@link #dropoutSeed} of the step, so they replay too.
 * With {@link KtsTrainConfig#recompute} the adapted forward keeps only each block's input and
 * output and recomputes the block during backward (same masks, same steering).
 */
public final class KtsTrainer {

    /** Figures of one optimiser step. */
    public record StepStats(int step, double loss, int steeredMicroBatches, int microBatches, double learningRate,
                            double gradNorm, double seconds, long peakHeapBytes) {}

    /** Receives every step (e.g. to move a progress bar). */
    @FunctionalInterface
    public interface StepListener {
        void onStep(StepStats stats);
    }

    private final LlamaConfig config;
    private final Parallel parallel;
    private final KtsTrainConfig cfg;
    private final List<int[]> benign;
    private final List<RenderedConcept> pool;
    private final TrainableKtsGraph graph;
    private final AdamW optimizer;
    private float[][][] poolVectors; // [concept][nLayers][dim], null rows outside the steered blocks
    private int step;
    private long peakHeap;
    private final List<Double> lossHistory = new ArrayList<>();

    public KtsTrainer(LlamaConfig config, LlamaWeights weights, KtsTrainConfig cfg,
                      List<int[]> benign, List<RenderedConcept> pool) {
        this(config, weights, cfg, benign, pool, null);
    }

    /** @param parallel splits the tape's large ops (matmuls, attention) over threads; null: serial */
    public KtsTrainer(LlamaConfig config, LlamaWeights weights, KtsTrainConfig cfg,
                      List<int[]> benign, List<RenderedConcept> pool, Parallel parallel) {
        if (benign.isEmpty()) {
            throw new IllegalArgumentException("KTS training needs benign sequences");
        }
        if (pool.isEmpty() && cfg.steerProbability() > 0) {
            throw new IllegalArgumentException("a steering probability above 0 needs a concept pool");
        }
        for (int b : cfg.steerBlocks()) {
            if (b < 0 || b >= config.nLayers()) {
                throw new IllegalArgumentException("steering block " + b + " is outside 0.." + (config.nLayers() - 1));
            }
        }
        this.config = config;
        this.parallel = parallel;
        this.cfg = cfg;
        this.benign = List.copyOf(benign);
        this.pool = List.copyOf(pool);
        LoraSpec spec = new LoraSpec(cfg.rank(), cfg.alpha(), EnumSet.allOf(LoraTarget.class), cfg.loraDropout(), cfg.loraLayers());
        LoraAdapter adapter = LoraAdapter.initialize(config, spec, cfg.seed(), Precision.F32);
        this.graph = new TrainableKtsGraph(config, weights, adapter);
        this.optimizer = new AdamW(adapter.parameters(),
                LearningRateSchedule.cosine(cfg.learningRate(), 0, cfg.steps()), cfg.weightDecay());
        resetHeapPeaks();
        refreshPoolVectors();
    }

    public TrainableKtsGraph graph() { return graph; }

    public KtsTrainConfig config() { return cfg; }

    public int step() { return step; }

    /** Mean loss of every step taken so far (restored from a checkpoint too). */
    public List<Double> lossHistory() { return List.copyOf(lossHistory); }

    /** The largest heap in use seen at the end of any step in this JVM run (all heap pools' peaks). */
    public long peakHeapBytes() { return peakHeap; }

    /** The current pool vectors, {@code [concept][nLayers][dim]}. */
    public float[][][] poolVectors() { return poolVectors; }

    /** Mean-difference vectors of every pool concept on the current adapted model. */
    private void refreshPoolVectors() {
        ActivationCapture.LastToken reader = graph.lastTokenResiduals(true, parallel);
        float[][][] out = new float[pool.size()][][];
        for (int i = 0; i < pool.size(); i++) {
            float[][] v = MeanDifference.computeIds(reader, pool.get(i).pairs(), new HashSet<>(cfg.steerBlocks()),
                    config.nLayers(), config.dim());
            out[i] = cfg.normaliseVectors() ? MeanDifference.normalised(v) : v;
        }
        poolVectors = out;
    }

    /** Trains until {@code untilStep} (at most the configured steps), checkpointing into {@code checkpoints} if set. */
    public void train(int untilStep, StepListener listener, KtsCheckpoint checkpoints) throws IOException {
        int end = Math.min(untilStep, cfg.steps());
        while (step < end) {
            long t0 = System.nanoTime();
            StepStats partial = oneStep();
            step++;
            if (step % cfg.refreshEvery() == 0 && step < cfg.steps()) {
                refreshPoolVectors();
            }
            if (checkpoints != null && (step == end || cfg.checkpointEvery() > 0 && step % cfg.checkpointEvery() == 0)) {
                checkpoints.save(this);
            }
            peakHeap = Math.max(peakHeap, currentHeapPeak());
            StepStats stats = new StepStats(step, partial.loss(), partial.steeredMicroBatches(), partial.microBatches(),
                    partial.learningRate(), partial.gradNorm(), (System.nanoTime() - t0) / 1e9, peakHeap);
            listener.onStep(stats);
        }
    }

    private StepStats oneStep() {
        Random rnd = new Random(cfg.seed() * 0x9E3779B97F4A7C15L + step);
        int micro = cfg.gradAccumulation();
        BlockSteering[] steering = new BlockSteering[micro];
        List<List<int[]>> batches = new ArrayList<>();
        long totalTokens = 0;
        int steered = 0;
        for (int m = 0; m < micro; m++) {
            if (rnd.nextDouble() < cfg.steerProbability()) {
                int concept = rnd.nextInt(pool.size());
                double c = cfg.cMax() * (2 * rnd.nextDouble() - 1);
                steering[m] = new BlockSteering(poolVectors[concept], c);
                steered++;
            }
            List<int[]> batch = new ArrayList<>();
            for (int b = 0; b < cfg.batchSize(); b++) {
                int[] seq = benign.get(rnd.nextInt(benign.size()));
                batch.add(seq);
                totalTokens += seq.length;
            }
            batches.add(batch);
        }
        double lossSum = 0;
        double lr = optimizer.learningRate();
        optimizer.zeroGrad();
        for (int m = 0; m < micro; m++) {
            for (int b = 0; b < batches.get(m).size(); b++) {
                int[] seq = batches.get(m).get(b);
                Tape tape = new Tape(Precision.F32, parallel);
                Var ref;
                try (NoGrad _ = tape.noGrad()) {
                    ref = tape.logSoftmax(graph.logits(tape, seq, null, false)); // p₀: no adapter, no steering
                }
                // LoRA dropout masks: a function of (seed, step, micro-batch, sequence), not of rnd, so p = 0 draws what it always did
                long dropoutSeed = dropoutSeed(cfg.seed(), step, m, b);
                Var q = tape.logSoftmax(graph.trainingLogits(tape, seq, steering[m], dropoutSeed, cfg.recompute()));
                Var kl = cfg.forwardKl() ? tape.klDivergence(ref, q) : tape.klDivergence(q, ref);
                double weight = (double) seq.length / totalTokens; // token-weighted mean over the whole step
                lossSum += kl.item() * weight;
                if (kl.requiresGrad()) {
                    tape.backward(kl, new double[] {weight});
                } else {
                    tape.clear();
                }
            }
        }
        double norm = cfg.clipNorm() > 0 ? GradientClipping.clipGlobalNorm(optimizer.params(), cfg.clipNorm())
                : GradientClipping.globalNorm(optimizer.params());
        optimizer.step();
        lossHistory.add(lossSum);
        return new StepStats(step, lossSum, steered, micro, lr, norm, 0, 0);
    }

    /** The dropout seed of one sequence of one step; every one differs, and a resumed run derives the same. */
    static long dropoutSeed(long seed, int step, int microBatch, int sequence) {
        long h = seed;
        for (long part : new long[] {step, microBatch, sequence}) {
            h = new SplittableRandom(h ^ (part + 1) * 0xBF58476D1CE4E5B9L).nextLong();
        }
        return h;
    }

    // ---- checkpoint plumbing (used by KtsCheckpoint) -----------------------------------------

    AdamW optimizer() { return optimizer; }

    List<RenderedConcept> pool() { return pool; }

    void restore(int restoredStep, Adam.State opt, LoraAdapter adapter, float[][][] vectors,
                 List<Double> losses) {
        if (vectors.length != pool.size()) {
            throw new IllegalArgumentException("checkpoint holds " + vectors.length + " pool vectors, the pool has " + pool.size());
        }
        List<Var> mine = graph.parameters(), saved = adapter.parameters();
        if (mine.size() != saved.size()) {
            throw new IllegalArgumentException("checkpoint adapter has " + saved.size() + " matrices, expected " + mine.size());
        }
        for (int k = 0; k < mine.size(); k++) {
            float[] values = saved.get(k).toFloatArray();
            if (values.length != mine.get(k).size()) {
                throw new IllegalArgumentException("checkpoint adapter matrix " + k + " has " + values.length + " values");
            }
            for (int i = 0; i < values.length; i++) {
                mine.get(k).data().set(i, values[i]);
            }
        }
        optimizer.restore(opt);
        this.poolVectors = vectors;
        this.step = restoredStep;
        lossHistory.clear();
        lossHistory.addAll(losses);
    }

    private static void resetHeapPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                p.resetPeakUsage();
            }
        }
    }

    /** Sum of the heap pools' peak usage since the last reset. */
    static long currentHeapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
                sum += p.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
