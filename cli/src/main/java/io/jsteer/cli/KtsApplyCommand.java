package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.MeanDifference;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.kts.gate.SteeringGate;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.tensor.Parallel;
import java.nio.file.Files;
import java.util.HashSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Gated generation with the KTS model: steer (the run's target vector, recomputed on it) only when
 * the gate flags the prompt.
 */
@Command(name = "apply", description = "Generate with the KTS model, steering only when the run's probe gate flags the prompt "
        + "(stdout: prompt + completion; stderr: the gate's decision). The vector is the target kts train used (train.json's "
        + "pool), rendered as in training and read on the KTS model, unless --target/--format/--template/--system say otherwise.",
        footer = {"", "Example:", "  jsteer kts apply --run kts-run --prompt \"Mia lost a toy at the park. Then Mia felt\" --multiplier 1 --temperature 0"})
final class KtsApplyCommand implements Callable<Integer> {

    @Mixin CommonOptions common;
    @Mixin SamplingOptions sampling;
    @Mixin KtsTarget.Options targetOptions;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "run directory written by kts train and kts eval")
    java.nio.file.Path runDir;
    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "the prompt")
    String prompt;
    @Option(names = "--multiplier", defaultValue = "1", description = "steering strength as a multiple of c_max (default: ${DEFAULT-VALUE}); "
            + "positive = towards the target's first side (happier for happy/sad); c_max is a length (see kts train --c-max), so 1 adds the length kts train printed")
    double multiplier;
    @Option(names = "--no-gate", description = "steer every prompt (ignore the gate)")
    boolean noGate;
    @Option(names = "--save-vector", paramLabel = "PATH", description = "also write the target vector steered with (before "
            + "the multiplier and c_max) as a vector set, PATH.safetensors + PATH.json")
    java.nio.file.Path saveVector;

    @Override
    public Integer call() throws Exception {
        KtsRunFiles run = new KtsRunFiles(runDir);
        var summary = run.readSummary();
        Engines.requireSupported(common.engine);
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount())) {
            var tok = model.tokenizer();
            LoraAdapter adapter = LoraFiles.load(run.adapter(), model.config());
            try (InferenceEngine engine = Engines.create(common.engine, model, sampling.ctxSize, par)) {
                engine.setAdapter(adapter);
                int[] ids = tok.encode(prompt, true);
                boolean steer = true;
                if (!noGate) {
                    if (!Files.isRegularFile(run.gate())) {
                        throw new IllegalArgumentException(run.gate() + " is missing: run 'jsteer kts eval --run " + runDir
                                + "' first, or pass --no-gate");
                    }
                    var saved = LinearProbe.load(run.gate());
                    SteeringGate gate = new SteeringGate(saved.probe(), saved.threshold());
                    double score = gate.score(ActivationCapture.residuals(engine), ids);
                    steer = score > saved.threshold();
                    System.err.printf("gate: score %.4f, threshold %.4f -> %s%n", score, saved.threshold(), steer ? "steer" : "no steering");
                }
                if (steer) {
                    // the run's target read on the KTS model (adapter set), rendered as kts train rendered it
                    KtsTarget.Rendered target = KtsTarget.of(run, summary, targetOptions, common, "jsteer kts apply", model);
                    float[][] raw = MeanDifference.computeIds(ActivationCapture.residuals(engine), target.ids(),
                            new HashSet<>(summary.config().steerBlocks()), model.config().nLayers(), model.config().dim());
                    float[][] v = summary.config().normaliseVectors() ? MeanDifference.normalised(raw) : raw;
                    if (saveVector != null) {
                        KtsTarget.writeVector(saveVector, v, model.name(), target.description());
                    }
                    engine.setInterventions(new BlockSteering(v, multiplier * summary.cMax()).interventions());
                } else if (saveVector != null) {
                    System.err.println("jsteer kts apply: note: the gate did not steer, so no vector was written to " + saveVector);
                }
                long seed = sampling.seedOrClock();
                var r = new Generator(engine).generate(ids, sampling.maxTokens, sampling.sampler(seed),
                        t -> t == tok.bos() || t == tok.eos(), (a, b) -> { });
                System.out.println(tok.decode(r.tokens()));
            }
        }
        return 0;
    }
}
