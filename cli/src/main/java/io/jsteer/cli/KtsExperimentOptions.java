package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.steering.kts.experiments.JudgeClient;
import io.jsteer.steering.kts.experiments.PromptFormat;
import io.jsteer.steering.kts.experiments.SteeredModels;
import io.jsteer.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Flags shared by the KTS experiments (kts vectors, suggest, jailbreak): which KTS model is compared
 * (a run directory or a bare adapter), the steering settings (from the run unless given), the
 * prompt format ({@link KtsFormatOptions}), the judge and the report path.
 */
final class KtsExperimentOptions {

    @Option(names = "--run", paramLabel = "DIR", description = "KTS run directory (adapter, steered blocks, vector normalisation, "
            + "c_max); without it or --lora only the original model is steered")
    Path runDir;
    @Option(names = "--lora", paramLabel = "DIR", description = "a KTS adapter directory instead of --run (then --blocks and --c-max apply)")
    Path lora;
    @Option(names = "--blocks", paramLabel = "LAYERS", description = "steered blocks, e.g. 3-21 (default: the run's; without a run "
            + "the reference's band scaled to the model, blocks 3-21 of 32)")
    String blocks;
    @Option(names = "--c-max", paramLabel = "C", description = "multiplier unit: c = factor x c_max (default: the run's; else 1)")
    Double cMax;
    @Option(names = "--raw-vectors", description = "use mean differences as they are (the reference); default: the run's setting, "
            + "else raw")
    boolean rawVectors;
    @Option(names = "--unit-vectors", description = "scale every vector to unit norm over its blocks (the KTS demo's default)")
    boolean unitVectors;
    @Mixin KtsFormatOptions formatOptions;
    @Option(names = "--ctx", defaultValue = "1024", description = "KV-cache length of the engines (default: ${DEFAULT-VALUE})")
    int ctx;
    @Option(names = "--out", paramLabel = "PATH", description = "report path without extension (writes PATH.json and PATH.html)")
    Path out;
    @Option(names = "--json", description = "print the report as JSON")
    boolean json;

    @picocli.CommandLine.Mixin
    JudgeOptions judgeOptions;

    /** The run's summary, or null. */
    KtsRunFiles.TrainSummary summary() throws IOException {
        if (runDir != null && lora != null) {
            throw new UsageException("give --run or --lora, not both");
        }
        return runDir == null ? null : new KtsRunFiles(runDir).readSummary();
    }

    SteeredModels models(String engine, LoadedModel model, Parallel par, KtsRunFiles.TrainSummary s) throws IOException {
        if (rawVectors && unitVectors) {
            throw new UsageException("--raw-vectors and --unit-vectors exclude each other");
        }
        int n = model.config().nLayers();
        List<Integer> steer;
        if (blocks != null) {
            steer = LayerSelection.parse("--blocks", blocks).resolve(n);
        } else if (s != null) {
            steer = s.config().steerBlocks();
        } else {
            int lo = (int) Math.round(n * 3 / 32.0), hi = Math.min(n - 1, Math.max(lo, (int) Math.round(n * 21 / 32.0)));
            steer = java.util.stream.IntStream.rangeClosed(lo, hi).boxed().toList();
        }
        boolean normalise = unitVectors || (!rawVectors && s != null && s.config().normaliseVectors());
        double c = cMax != null ? cMax : s != null ? s.cMax() : 1.0;
        if (!(c > 0)) {
            throw new UsageException("--c-max must be positive, got " + c);
        }
        LoraAdapter adapter = s != null ? LoraFiles.load(new KtsRunFiles(runDir).adapter(), model.config())
                : lora != null ? LoraFiles.load(lora, model.config()) : null;
        if (ctx < 16) {
            throw new UsageException("--ctx must be at least 16, got " + ctx);
        }
        return new SteeredModels(model.config(), model.weights(), model.tokenizer(), adapter, steer, normalise, c, par, ctx,
                size -> Engines.create(engine, model, size, par));
    }

    /** The prompt format; {@code system} is the system prompt of template-rendered prompts. */
    PromptFormat format(CommonOptions common, String command, LoadedModel model, String system) {
        return formatOptions.format(common, command, model, system);
    }

    JudgeClient judge() {
        return judgeOptions.judge();
    }

    Path base(Path fallbackDir, String name) {
        if (out != null) {
            return out;
        }
        return (runDir != null ? runDir : fallbackDir).resolve(name);
    }

    /** Parses a comma-separated list of numbers. */
    static List<Double> numbers(String option, String text) {
        try {
            return java.util.Arrays.stream(text.split(",")).map(String::strip).map(Double::parseDouble).toList();
        } catch (NumberFormatException e) {
            throw new UsageException(option + " must be comma-separated numbers, got '" + text + "'");
        }
    }
}
