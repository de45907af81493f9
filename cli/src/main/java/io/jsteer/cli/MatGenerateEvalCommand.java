package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.mat.HelpSteerGeneration;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.tasks.HelpSteer;
import io.jsteer.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** MAT-Steer's generative evaluation (the paper's Fig. 3): responses to HelpSteer test prompts, judged when --judge is given. */
@Command(name = "generate-eval", mixinStandardHelpOptions = true, description = "Generate responses to the HelpSteer test prompts "
        + "unsteered (base), with the ungated sum of the module's CAA vectors (caa-sum) and with MAT-Steer; with --judge, a judge scores "
        + "each response 0-4 on the five attributes and MAT's win rate against each baseline is reported (win = higher mean score; "
        + "ties apart; unreadable verdicts counted and left out). Offline: response lengths and mean gates per attribute.",
        footer = {"", "Example:",
                "  jsteer mat generate-eval --model llama-3.1-8b.gguf --mat runs/mat-gen.safetensors --data helpsteer/validation.jsonl \\",
                "      --prompts 100 --max-tokens 256 --judge http://localhost:8000/v1 --judge-model gpt-4o"})
final class MatGenerateEvalCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    JudgeOptions judge;

    @Option(names = "--mat", paramLabel = "FILE", required = true, description = "MAT-Steer checkpoint trained with --tasks helpsteer")
    Path mat;

    @Option(names = "--data", paramLabel = "FILE", required = true, description = "the HelpSteer .jsonl file the module was trained on "
            + "(its test split, 50%% of the prompts, is evaluated)")
    Path data;

    @Option(names = "--prompts", paramLabel = "N", defaultValue = "50", description = "test prompts evaluated, the split's first N "
            + "(default: ${DEFAULT-VALUE})")
    int prompts;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "128", description = "tokens per response at most, greedy "
            + "(default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--seed", paramLabel = "N", description = "split seed (default: the module's training seed, so test is held out)")
    Long seed;

    @Option(names = "--ctx-size", paramLabel = "N", defaultValue = "2048",
            description = "KV-cache positions, capped at the model's context (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--json", description = "print the report as JSON (with every response and its scores)")
    boolean json;

    @Mixin
    MatFormatOptions format;

    @Override
    public Integer call() throws Exception {
        MatDataOptions.positive("--prompts", prompts);
        MatDataOptions.positive("--max-tokens", maxTokens);
        var client = judge.judge();
        MatCheckpoint module = MatCheckpoint.load(mat);
        if (!module.metadata().attributes().equals(HelpSteer.ATTRIBUTES)) {
            throw new UsageException("--mat " + mat + " was trained on " + module.metadata().attributes()
                    + ", not the HelpSteer attributes (train it with --tasks helpsteer --data FILE)");
        }
        long splitSeed = seed != null ? seed : module.metadata().seed();
        List<HelpSteer.Row> test = HelpSteer.split(HelpSteer.read(data), splitSeed).testPrompts();
        test = test.subList(0, Math.min(prompts, test.size()));
        HelpSteerGeneration.Report report;
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, MatDataOptions.positive("--ctx-size", ctxSize), par)) {
            module.requireCompatible(model.config(), model.name());
            System.err.println("mat generate-eval: " + test.size() + " test prompts x " + HelpSteerGeneration.ARMS.size() + " arms"
                    + (client == null ? ", no judge" : ", judge " + client.endpoint()));
            report = new HelpSteerGeneration(engine, format.prompts(common, "mat generate-eval", model, module.metadata())).run(module, test, maxTokens, client, true);
        }
        PrintStream p = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (json) {
            p.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        } else {
            report.lines().forEach(p::println);
        }
        return 0;
    }
}
