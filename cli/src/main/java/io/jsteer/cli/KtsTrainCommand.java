package io.jsteer.cli;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.kts.KtsCheckpoint;
import io.jsteer.steering.kts.KtsTrainConfig;
import io.jsteer.steering.kts.KtsTrainer;
import io.jsteer.steering.kts.KtsTrainingJob;
import io.jsteer.steering.kts.data.BenignCorpus;
import io.jsteer.steering.kts.data.RenderedConcept;
import io.jsteer.steering.kts.experiments.ConceptFiles;
import io.jsteer.steering.kts.experiments.PromptFormat;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import io.jsteer.model.intervene.LayerSelection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains the KTS adapter (spec §2, scaled down per §7) with resumable checkpoints. */
@Command(name = "train", description = "Train a KTS LoRA adapter: the steered adapted model is pulled towards the unsteered "
        + "original on benign text (stdout: summary; stderr: progress).",
        footer = {"", "Examples:", "  jsteer kts train --model stories260K --out kts-run --steps 120 --batch 8",
                "  jsteer kts train --out kts-run --resume      # continue from kts-run/checkpoint",
                "  jsteer kts train --out kts-run --lora-dropout 0.05 --lora-layers 0,2-4   # PEFT lora_dropout, layers_to_transform",
                "  jsteer kts train --out kts-run --no-recompute   # keep every block's activations (faster, more memory)",
                "  jsteer kts train -m llama-2-7b-chat.Q8_0.gguf --out kts-7b --concepts kl-then-steer/datasets/refusal \\",
                "      --refusal-ab ../shared/data/caa/refusal_generate_dataset.json --target ../shared/data/caa/refusal_test_dataset_ab.json \\",
                "      --format template --rank 128 --alpha 256 --lr 1e-5   # the reference's pool, [INST]-rendered (see kts vectors)"})
final class KtsTrainCommand implements Callable<Integer> {

    /** Steps at least this long also get a line of their own on stderr. */
    private static final double LONG_STEP_SECONDS = 5;

    @Mixin CommonOptions common;
    @Mixin KtsPoolOptions poolOptions;
    @Mixin KtsFormatOptions formatOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "run directory (adapter, checkpoints, data, summary)")
    Path out;
    @Option(names = "--steps", defaultValue = "300", description = "optimiser steps (default: ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--batch", defaultValue = "16", description = "sequences per micro-batch (default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--accum", defaultValue = "1", description = "micro-batches per step (default: ${DEFAULT-VALUE})")
    int accum;
    @Option(names = "--lr", defaultValue = "1e-3", description = "AdamW peak learning rate, cosine decay (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default: ${DEFAULT-VALUE})")
    int rank;
    @Option(names = "--alpha", defaultValue = "16", description = "LoRA alpha (default: ${DEFAULT-VALUE})")
    double alpha;
    @Option(names = "--lora-dropout", defaultValue = "0", paramLabel = "P",
            description = "dropout on the LoRA side paths' input during training, in [0, 1) (PEFT lora_dropout; "
                    + "inference and merging use none; default: ${DEFAULT-VALUE})")
    double loraDropout;
    @Option(names = "--lora-layers", paramLabel = "LIST",
            description = "adapt only these blocks, 0-based, e.g. 0,2-4 (PEFT layers_to_transform; default: every block)")
    String loraLayers;
    @Option(names = "--recompute", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "recompute each block during backward instead of keeping its activations: less memory for one "
                    + "more forward pass per block; --no-recompute keeps them (default: ${DEFAULT-VALUE})")
    boolean recompute;
    @Option(names = "--steer-prob", defaultValue = "0.5", description = "share of steered micro-batches (default: ${DEFAULT-VALUE})")
    double steerProb;
    @Option(names = "--blocks", defaultValue = "1-3", paramLabel = "LAYERS", description = "steered blocks, 0-based: 4, 3-6, 0,2,5-7 or all (default: ${DEFAULT-VALUE})")
    String blocks;
    @Option(names = "--refresh", defaultValue = "50", description = "recompute pool vectors every N steps (default: ${DEFAULT-VALUE})")
    int refresh;
    @Option(names = "--forward-kl", description = "train KL(p_orig ‖ q) instead of the paper's KL(q ‖ p_orig)")
    boolean forwardKl;
    @Option(names = "--benign-count", defaultValue = "256", description = "benign training sequences (default: ${DEFAULT-VALUE})")
    int benignCount;
    @Option(names = "--benign-eval", defaultValue = "64", description = "held-out benign sequences (default: ${DEFAULT-VALUE})")
    int benignEval;
    @Option(names = "--max-len", defaultValue = "128", description = "tokens per benign sequence (default: ${DEFAULT-VALUE})")
    int maxLen;
    @Option(names = "--benign-file", paramLabel = "PATH", description = "use these text files as benign data instead of generations (repeatable)")
    List<Path> benignFiles;
    @Option(names = "--target-kl", defaultValue = "0.75", description = "calibrate c_max to this benign KL of the steered original (default: ${DEFAULT-VALUE})")
    double targetKl;
    @Option(names = "--c-max", description = "use this c_max instead of calibrating. c is a length, as --steer NAME:S: the "
            + "steered blocks' vectors are scaled together to norm 1 (ratios kept), so c_max is the length of the whole edit "
            + "over --blocks (with one block, exactly --steer NAME:c_max@L); --raw-vectors multiplies the raw mean differences")
    Double cMaxOverride;
    @Option(names = "--pairs-per-concept", defaultValue = "16", description = "contrast pairs per pool entry: the first N of each "
            + "(the target keeps all of its pairs; default: ${DEFAULT-VALUE})")
    int pairsPerConcept;
    @Option(names = "--checkpoint-every", defaultValue = "50", description = "steps between checkpoints (default: ${DEFAULT-VALUE})")
    int checkpointEvery;
    @Option(names = "--seed", defaultValue = "19", description = "seed of data, adapter and draws (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--raw-vectors", description = "use the mean differences as they are instead of scaling each to unit norm")
    boolean rawVectors;
    @Option(names = "--resume", description = "continue from the run directory's latest checkpoint")
    boolean resume;
    @Option(names = "--json", description = "print the summary as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        KtsRunFiles run = new KtsRunFiles(out);
        LayerSelection steerChoice = LayerSelection.parse("--blocks", blocks);
        LayerSelection adaptedChoice = loraLayers == null ? null : LayerSelection.parse("--lora-layers", loraLayers);
        if (!(loraDropout >= 0 && loraDropout < 1)) {
            throw new IllegalArgumentException("--lora-dropout must be in [0, 1), got " + loraDropout);
        }
        Engines.requireCpu(common.engine, "kts train", "training runs on the CPU tape, the autograd path, which has no GPU version");
        // read before the model loads and benign data is generated, so that a bad file fails at once
        List<ConceptFiles.NamedPairs> poolFiles = poolOptions.pool(false, seed);
        ConceptFiles.NamedPairs targetPairs = poolOptions.target(false);
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount())) {
            var tok = model.tokenizer();
            PromptFormat format = formatOptions.format(common, "jsteer kts train", model, poolOptions.system);
            List<Integer> steerBlocks = steerChoice.resolve(model.config().nLayers());
            List<Integer> adaptedBlocks = adaptedChoice == null ? null : adaptedChoice.resolve(model.config().nLayers());
            List<int[]> train, eval;
            if (resume && Files.isRegularFile(run.benignTrain())) {
                train = run.readSequences(run.benignTrain());
                eval = run.readSequences(run.benignEval());
            } else {
                List<int[]> all;
                if (benignFiles != null && !benignFiles.isEmpty()) {
                    all = BenignCorpus.readTextFiles(benignFiles, tok, maxLen, 8);
                } else {
                    try (CpuEngine engine = model.newCpuEngine(maxLen + 64, par);
                         ProgressBar bar = bar("benign", benignCount + benignEval)) {
                        all = BenignCorpus.generate(engine, tok, benignCount + benignEval, maxLen, Math.min(maxLen, 24), seed,
                                bar::stepTo);
                    }
                }
                if (all.size() < 2) {
                    throw new IllegalArgumentException("benign data has " + all.size() + " sequences; at least 2 are needed");
                }
                int nEval = Math.min(benignEval, all.size() / 4);
                eval = new ArrayList<>(all.subList(0, nEval));
                train = new ArrayList<>(all.subList(nEval, all.size()));
                KtsRunFiles.writeJson(run.benignTrain(), train);
                KtsRunFiles.writeJson(run.benignEval(), eval);
            }
            // the pool and target from files in the reference layout (default: the built-in stories260K
            // files), every pair rendered by the chosen prompt format as kts vectors renders it
            List<RenderedConcept> pool = poolFiles.stream().map(e -> e.render(format, tok, pairsPerConcept)).toList();
            RenderedConcept renderedTarget = targetPairs.render(format, tok, Integer.MAX_VALUE);
            List<int[][]> target = renderedTarget.pairs();
            var poolSummary = new KtsRunFiles.PoolSummary(poolOptions.source(), format.describe(),
                    pool.stream().map(RenderedConcept::name).toList(), pool.stream().map(c -> c.pairs().size()).toList(),
                    targetPairs.name(), target.size(), poolOptions.record(format, formatOptions.template),
                    KtsTarget.sha256(pool), KtsTarget.sha256(List.of(renderedTarget)));
            if (resume) {
                KtsTarget.checkResume(run, poolSummary);
            } else {
                Files.createDirectories(out);
                KtsRunFiles.writeJson(run.pool(), poolSummary); // what a resume of this run is checked against
            }
            System.err.printf("pool: %d entries from %s (%s), target %s (%d pairs)%n", pool.size(), poolSummary.source(),
                    poolSummary.format(), poolSummary.target(), target.size());
            KtsTrainConfig cfg = new KtsTrainConfig(rank, alpha, lr, 0, steps, batch, accum, 1.0, steerProb, 1, steerBlocks,
                    refresh, pairsPerConcept, forwardKl, checkpointEvery, seed, !rawVectors, loraDropout, adaptedBlocks, recompute);
            var request = new KtsTrainingJob.Request(cfg, train, eval, pool, target, cMaxOverride, targetKl,
                    new KtsCheckpoint(run.checkpoints()), resume);
            KtsTrainingJob.Outcome done;
            ProgressBar[] bar = new ProgressBar[1]; // opened when the first step starts, after the stages the job logs
            try {
                done = KtsTrainingJob.run(model, request, par, from -> {
                    bar[0] = bar("kts", steps);
                    bar[0].stepTo(from);
                    return s -> {
                        bar[0].stepTo(s.step());
                        bar[0].setExtraMessage(String.format(" KL %.4f steered %d/%d", s.loss(), s.steeredMicroBatches(), s.microBatches()));
                        if (s.seconds() >= LONG_STEP_SECONDS) { // a line per step where steps take long (the 7B width)
                            System.err.printf("step %d/%d: KL %.5f, steered %d/%d, %.1f s, peak heap %d MiB%n", s.step(), steps,
                                    s.loss(), s.steeredMicroBatches(), s.microBatches(), s.seconds(), s.peakHeapBytes() >> 20);
                        }
                    };
                }, System.err);
            } finally {
                if (bar[0] != null) {
                    bar[0].close();
                }
            }
            KtsTrainer trainer = done.trainer();
            Files.createDirectories(out);
            LoraFiles.save(run.adapter(), trainer.graph().adapter(), model.config(), model.name());
            var summary = new KtsRunFiles.TrainSummary(model.name(), trainer.config(), done.cMax(), train.size(), eval.size(), steps,
                    done.secondsPerStep(), trainer.peakHeapBytes(), trainer.lossHistory(), done.steeredKlBefore(),
                    done.steeredKlAfter(), done.unsteeredParityKl(), poolSummary);
            KtsRunFiles.writeJson(run.summary(), summary);
            if (json) {
                System.out.println(KtsRunFiles.JSON.writeValueAsString(summary));
            } else {
                System.out.printf("steered benign KL at c_max (held-out %s vector): original %.4f, KTS %.4f nat/token%n",
                        poolSummary.target(), done.steeredKlBefore(), done.steeredKlAfter());
                System.out.printf("unsteered parity KL(p_orig ‖ p_KTS): %.5f nat/token%n", done.unsteeredParityKl());
                System.out.printf("%.3f s/step, peak heap %d MiB; adapter in %s%n", done.secondsPerStep(),
                        trainer.peakHeapBytes() >> 20, run.adapter());
            }
        }
        return 0;
    }

    static ProgressBar bar(String task, long max) {
        return io.jsteer.weights.ProgressBars.build(new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII));
    }
}
