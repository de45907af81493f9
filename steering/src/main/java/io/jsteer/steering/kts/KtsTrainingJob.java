package io.jsteer.steering.kts;

import io.jsteer.steering.vectors.MeanDifference;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.kts.data.RenderedConcept;
import io.jsteer.steering.kts.graph.TrainableKtsGraph;
import io.jsteer.tensor.Parallel;
import java.io.IOException;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A whole KTS training run (spec §2, §6.9): c_max calibrated on the target vector of the original
 * model (or given), the steered original's benign KL, the KL stage with resumable checkpoints, and
 * the same KL of the trained adapter with the target vector read again on the adapted model.
 * Every stage before the first step says on {@code log} what it runs, since at the 7B width each
 * takes minutes.
 */
public final class KtsTrainingJob {

    /**
     * @param config       the training settings (its c_max is replaced by the calibrated or given one)
     * @param train        benign training sequences
     * @param eval         held-out benign sequences for the before/after KL
     * @param pool         the concepts whose vectors steer training, rendered to ids by the run's prompt format
     * @param target       the held-out concept whose vector calibrates c_max and measures the result:
     *                     {first, second} ids per pair, rendered by the same format
     * @param cMax         c_max to use, or null to calibrate it to {@code targetKl}
     * @param targetKl     benign KL (nat/token) of the steered original that calibration aims at
     * @param checkpoints  where checkpoints go (and come from when {@code resume}), or null for none
     */
    public record Request(KtsTrainConfig config, List<int[]> train, List<int[]> eval, List<RenderedConcept> pool,
                          List<int[][]> target, Double cMax, double targetKl, KtsCheckpoint checkpoints, boolean resume) {
        public Request {
            train = List.copyOf(train);
            eval = List.copyOf(eval);
            pool = List.copyOf(pool);
            target = List.copyOf(target);
            if (resume && (checkpoints == null || !checkpoints.exists())) {
                throw new IllegalArgumentException("--resume: no checkpoint in " + (checkpoints == null ? "the run" : checkpoints.directory()));
            }
        }
    }

    /**
     * @param steeredKlBefore   benign KL of the original steered at c_max by the target vector, nat/token
     * @param steeredKlAfter    the same for the trained adapter (its own target vector)
     * @param unsteeredParityKl KL(p_orig ‖ p_KTS) without steering
     * @param secondsPerStep    wall time per step of this run (resumed steps excluded)
     */
    public record Outcome(KtsTrainer trainer, double cMax, double steeredKlBefore, double steeredKlAfter,
                          double unsteeredParityKl, double secondsPerStep) {}

    private KtsTrainingJob() {}

    /**
     * @param training called with the first step just before the KL stage starts (after the stages
     *                 logged on {@code log}); gives the listener of every step (e.g. a progress bar)
     */
    public static Outcome run(LoadedModel model, Request r, Parallel par, IntFunction<KtsTrainer.StepListener> training,
                              PrintStream log) throws IOException {
        KtsTrainConfig cfg = r.config();
        // c_max from the held-out target vector on the original model (spec §6.9)
        TrainableKtsGraph graph0 = new TrainableKtsGraph(model.config(), model.weights(),
                LoraAdapter.initialize(model.config(), cfg.rank(), cfg.alpha(), EnumSet.allOf(LoraTarget.class), cfg.seed()));
        log.printf("target vector: %d contrast pairs on the original model%n", r.target().size());
        float[][] vOrig = targetVector(graph0, false, r.target(), cfg, par);
        double cMax;
        if (r.cMax() != null) {
            cMax = r.cMax();
        } else {
            log.printf("c_max: calibrating to a steered benign KL of %.3f nat/token%n", r.targetKl());
            cMax = BenignKl.calibrate(graph0, r.train().subList(0, Math.min(8, r.train().size())), vOrig, r.targetKl());
        }
        log.printf("steered original: benign KL on %d held-out sequences%n", r.eval().size());
        double before = BenignKl.measure(graph0, r.eval(), new BlockSteering(vOrig, cMax), false, par).klPerToken();
        log.printf("c_max %.4f (steered original: %.4f nat/token on %d benign eval sequences)%n", cMax, before, r.eval().size());

        log.printf("pool vectors: %d concepts on the adapted model%n", r.pool().size());
        KtsTrainer trainer = new KtsTrainer(model.config(), model.weights(), cfg.withCMax(cMax), r.train(), r.pool(), par);
        if (r.resume()) {
            r.checkpoints().restore(trainer);
            log.println("resumed at step " + trainer.step());
        }
        int startStep = trainer.step();
        long t0 = System.nanoTime();
        trainer.train(cfg.steps(), training.apply(startStep), r.checkpoints());
        double secPerStep = (System.nanoTime() - t0) / 1e9 / Math.max(1, cfg.steps() - startStep);

        log.println("after training: target vector and benign KL of the adapted model");
        float[][] vKts = targetVector(trainer.graph(), true, r.target(), cfg, par);
        double after = BenignKl.measure(trainer.graph(), r.eval(), new BlockSteering(vKts, cMax), true, par).klPerToken();
        double parity = BenignKl.measure(trainer.graph(), r.eval(), null, true, par).klPerToken();
        return new Outcome(trainer, cMax, before, after, parity, secPerStep);
    }

    /** The target concept's mean difference on the graph (adapter on or off), unit-scaled unless the config keeps raw vectors. */
    static float[][] targetVector(TrainableKtsGraph graph, boolean withAdapter, List<int[][]> pairs, KtsTrainConfig cfg, Parallel par) {
        float[][] v = MeanDifference.computeIds(graph.lastTokenResiduals(withAdapter, par), pairs, new HashSet<>(cfg.steerBlocks()),
                graph.config().nLayers(), graph.config().dim());
        return cfg.normaliseVectors() ? MeanDifference.normalised(v) : v;
    }
}
