package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.tokenizer.StreamingDecoder;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Generates with a MAT-Steer module editing every prompt and generated token. */
@Command(name = "apply", mixinStandardHelpOptions = true, description = "Generate from a prompt with MAT-Steer applied at every position "
        + "(stdout: prompt + completion; stderr: mean gates and intervened tokens).",
        footer = {"", "Example:", "  jsteer mat apply --mat runs/mat.safetensors --prompt \"Q: Is the earth flat? A:\" --temperature 0"})
final class MatApplyCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--mat", paramLabel = "FILE", required = true, description = "MAT-Steer checkpoint")
    Path mat;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "the prompt (default: empty, i.e. start from BOS)")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "PATH", description = "read the prompt from a file")
    Path promptFile;

    @Override
    public Integer call() throws Exception {
        String text = SamplingOptions.readPrompt(prompt, promptFile);
        MatCheckpoint module = MatCheckpoint.load(mat);
        long seed = sampling.seedOrClock();
        var sampler = sampling.sampler(seed);
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, sampling.ctxSize, par)) {
            module.requireCompatible(model.config(), model.name());
            GateStats.Accumulator gates = new GateStats.Accumulator(module.parameters().attributes());
            engine.setHooks(InterventionSet.of(module.gatedEdit()).toHooks(model.config(), gates));
            Tokenizer tok = model.tokenizer();
            int[] ids = tok.encode(text, true);
            if (ids.length == 0) {
                ids = new int[] {tok.bos()};
            }
            PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
            StreamingDecoder decoder = tok.newDecoder();
            for (int id : ids) {
                out.print(decoder.accept(id));
            }
            GenerationResult r = new Generator(engine).generate(ids, sampling.maxTokens, sampler,
                    t -> t == tok.bos() || t == tok.eos(), (prev, next) -> out.print(decoder.accept(next)));
            out.println(decoder.flush());
            out.flush();
            gates.endText();
            GateStats s = gates.stats();
            StringBuilder g = new StringBuilder();
            for (int t = 0; t < s.attributes().size(); t++) {
                g.append(String.format(Locale.ROOT, " %s %.3f", s.attributes().get(t), s.meanGate()[t]));
            }
            System.err.printf(Locale.ROOT, "mat: mean gates%s; %d of %d tokens intervened (gate > 0.5); %d generated; seed %d%n", g,
                    Math.round(s.intervenedPerText()), Math.round(s.tokensPerText()), r.generatedCount(), seed);
        }
        return 0;
    }
}
