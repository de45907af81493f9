package io.jsteer.cli;

import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.model.tokenizer.StreamingDecoder;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Generates from a prompt and prints prompt + completion, as llama2.c's run does. */
@Command(name = "run", description = "Generate text from a prompt (stdout: the prompt followed by the completion; stderr: tok/s).",
        footer = {"", "Examples:", "  jsteer run --model stories260K --prompt \"Once upon a time\" --temperature 0 --max-tokens 100",
                "  jsteer run --prompt \"Once upon a time\" --steer happy.json:4@3 --steer calm.json:-2   # lengths 4 and -2",
                "  jsteer run --prompt \"Once upon a time\" --steer from-llama.json:4:raw@3   # 4 x the vector as stored",
                "  jsteer run --lora kts-run/adapter --gate kts-run/gate.json --steer happy.json:4 --prompt \"Then Tom felt\""})
class RunCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    SteerOptions steering;

    @Mixin
    AdapterOptions adapters;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "the prompt (default: empty, i.e. start from BOS)")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "PATH", description = "read the prompt from a file")
    Path promptFile;

    @Override
    public Integer call() throws Exception {
        String text = SamplingOptions.readPrompt(prompt, promptFile);
        long seed = sampling.seedOrClock();
        var sampler = sampling.sampler(seed);
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, sampling.ctxSize, par)) {
            Tokenizer tok = model.tokenizer();
            adapters.attachTo(model, engine);
            var gate = adapters.probeGate(model.config());
            if (gate != null && steering.isEmpty()) {
                throw new UsageException("--gate decides whether --steer/--ablate is applied: give one of them");
            }
            // every file --steer/--ablate/--mat names is read and checked now, before any text is generated,
            // also when the gate below then decides against steering (a typo must not wait for the gate to fire)
            var interventions = steering.isEmpty() ? null : steering.interventions(model.config());
            int[] gated = tok.encode(text, true);
            var decision = gate == null ? null : gate.decide(engine, gated.length == 0 ? new int[] {tok.bos()} : gated);
            if (decision != null) {
                System.err.println(decision.describe());
            }
            SteerOptions.TokenCount steered = null;
            // MAT-Steer's gates per attribute, for the report on stderr (null without --mat)
            GateStats.Accumulator gates = steering.mat == null ? null
                    : new GateStats.Accumulator(MatCheckpoint.load(steering.mat).parameters().attributes());
            if (interventions != null && (decision == null || decision.steer())) {
                System.err.println(SteerOptions.describe(interventions));
                if (engine instanceof io.jsteer.model.CpuEngine) {
                    // on the CPU the steering runs as hooks anyway, so counting the edited tokens (an observer)
                    // and reporting gates cost nothing; the GPU engine would have to cut its plan for them
                    steered = new SteerOptions.TokenCount(interventions.items().getFirst());
                    engine.setInterventions(interventions, gates);
                    engine.setHooks(steered.observer(model.config()));
                } else {
                    engine.setInterventions(interventions); // device kernels for the kinds that have them
                }
            }
            int[] promptIds = tok.encode(text, true);
            if (promptIds.length == 0) {
                promptIds = new int[] {tok.bos()};
            }
            PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
            StreamingDecoder decoder = tok.newDecoder();
            for (int id : promptIds) {
                out.print(decoder.accept(id));
            }
            out.flush();
            GenerationResult r = new Generator(engine).generate(promptIds, sampling.maxTokens, sampler,
                    t -> t == tok.bos() || t == tok.eos(), (prev, next) -> {
                        out.print(decoder.accept(next));
                        out.flush();
                    });
            out.println(decoder.flush());
            out.flush();
            System.err.printf("achieved tok/s: %.2f (%d generated; prompt %d tokens at %.1f tok/s; %d threads; seed %d)%n",
                    r.decodeTokensPerSecond(), r.generatedCount(), r.promptLength(), r.prefillTokensPerSecond(),
                    par.threads(), seed);
            if (steered != null) {
                System.err.println(steered.report());
            }
            if (gates != null) {
                gates.endText();
                System.err.println(SteerOptions.gateReport(gates.stats()));
            }
        }
        return 0;
    }
}
