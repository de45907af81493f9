package io.jsteer.cli;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.eval.AfinnLexicon;
import io.jsteer.steering.eval.Evaluation;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The metrics of one model, unsteered and (with steering flags) steered, side by side. */
@Command(name = "eval", description = "Metrics of a model with and without steering: A/B behaviour score, perplexity, KL of the "
        + "next-token distributions against the unsteered model, and sentiment, refusal rate and degeneration of sampled text.",
        footer = {"", "Examples:",
                "  jsteer eval --steer refusal.json:4@3 --ab ../shared/data/caa/refusal_test_dataset_ab.json",
                "  jsteer eval --steer happy.json:1.5@1 --prompts stories.txt --samples 50 --texts held-out.txt --json"})
class EvalCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    SteerOptions steering;

    @Option(names = "--ab", paramLabel = "FILE", description = "CAA A/B items: mean p(matching letter) and logit difference")
    Path ab;

    @Option(names = "--texts", paramLabel = "FILE", description = "held-out texts, one per line: perplexity")
    Path texts;

    @Option(names = "--prompts", paramLabel = "FILE", description = "prompts, one per line: KL against the unsteered model, and samples for the text metrics")
    Path prompts;

    @Option(names = "--samples", defaultValue = "20", description = "samples from --prompts per condition (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--max-tokens", defaultValue = "64", description = "tokens per sample (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--seed", defaultValue = "42", description = "seed; both conditions use the same seeds (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--afinn", paramLabel = "PATH", description = "AFINN lexicon (default: ../shared/data/sentiment/AFINN-en-165.txt)")
    Path afinn;

    @Option(names = "--ctx-size", defaultValue = "1024", description = "KV-cache positions (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Evaluation.Spec spec = spec();
        Map<String, Map<String, Object>> table;
        try (LoadedModel model = common.load()) {
            InterventionSet steered = steering.isEmpty() ? null : steering.interventions(model.config());
            if (steered != null) {
                steered.check(model.config()); // every vector checked now, before the first unit
                System.err.println(SteerOptions.describe(steered));
            }
            table = evaluate(model, spec, steered);
        }
        print(table, json);
        return 0;
    }

    /** What to measure, from the flags (files read here, once). */
    Evaluation.Spec spec() throws java.io.IOException {
        if (ab == null && texts == null && prompts == null) {
            throw new IllegalArgumentException("nothing to measure: give --ab FILE, --texts FILE and/or --prompts FILE");
        }
        if (samples < 0 || maxTokens < 1) {
            throw new UsageException("--samples must be 0 or more and --max-tokens at least 1");
        }
        List<AbItem> items = ab == null ? List.of() : Datasets.abItems(ab).items().stream()
                .map(AbItem::awaitingLetter)
                .toList();
        return new Evaluation.Spec(items, texts == null ? List.of() : lines(texts), prompts == null ? List.of() : lines(prompts),
                samples, maxTokens, temperature, seed);
    }

    /** The AFINN lexicon when the spec samples text (null otherwise: its file is not needed). */
    AfinnLexicon lexicon(Evaluation.Spec spec) {
        return spec.samplesText() ? AfinnLexicon.load(afinn != null ? afinn : ModelLocator.sharedData("sentiment/AFINN-en-165.txt")) : null;
    }

    /** Runs every unit of the evaluation on this machine; `jsteer spark eval` runs them as a Spark job instead. */
    Map<String, Map<String, Object>> evaluate(LoadedModel model, Evaluation.Spec spec, InterventionSet steered) throws Exception {
        AfinnLexicon lexicon = lexicon(spec);
        List<Evaluation.Unit> units = Evaluation.units(spec, steered != null);
        try (Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, ctxSize, par);
             ProgressBar bar = io.jsteer.weights.ProgressBars.build(new ProgressBarBuilder().setTaskName("eval").setInitialMax(units.size()))) {
            List<Evaluation.Outcome> outcomes = Evaluation.runAll(engine, model.tokenizer(), spec, steered, u -> {
                bar.setExtraMessage((u.kind() == Evaluation.Kind.KL ? "KL" : u.steered() ? "steered" : "unsteered") + ": "
                        + u.kind().name().toLowerCase(java.util.Locale.ROOT));
                bar.step();
            });
            return Evaluation.table(spec, outcomes, lexicon);
        }
    }

    static void print(Map<String, Map<String, Object>> table, boolean json) throws Exception {
        if (json) {
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(table));
        } else {
            List<String> metrics = new ArrayList<>(table.get("unsteered").keySet());
            table.values().forEach(r -> r.keySet().stream().filter(k -> !metrics.contains(k)).forEach(metrics::add));
            System.out.printf("%-24s", "metric");
            table.keySet().forEach(c -> System.out.printf(" %12s", c));
            System.out.println();
            for (String m : metrics) {
                System.out.printf("%-24s", m);
                for (var row : table.values()) {
                    Object v = row.get(m);
                    System.out.printf(" %12s", v == null ? "-" : String.format("%.4f", ((Number) v).doubleValue()));
                }
                System.out.println();
            }
        }
    }

    private static List<String> lines(Path file) throws java.io.IOException {
        List<String> l = InputFiles.readText("", file, InputFiles.DATASET_LIMIT).lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (l.isEmpty()) {
            throw new IllegalArgumentException(file + ": no lines");
        }
        return l;
    }
}
