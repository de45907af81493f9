package io.jsteer.cli;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.eval.AbBehaviourScore;
import io.jsteer.steering.eval.AbItem;
import io.jsteer.steering.eval.AfinnLexicon;
import io.jsteer.steering.eval.AfinnSentiment;
import io.jsteer.steering.eval.Degeneration;
import io.jsteer.steering.eval.NextTokenKl;
import io.jsteer.steering.eval.Perplexity;
import io.jsteer.steering.eval.RefusalPhrases;
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
final class EvalCommand implements Callable<Integer> {

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
        if (ab == null && texts == null && prompts == null) {
            throw new IllegalArgumentException("nothing to measure: give --ab FILE, --texts FILE and/or --prompts FILE");
        }
        if (samples < 0 || maxTokens < 1) {
            throw new UsageException("--samples must be 0 or more and --max-tokens at least 1");
        }
        Map<String, Map<String, Object>> table = new LinkedHashMap<>();
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, ctxSize, par)) {
            Tokenizer tok = model.tokenizer();
            InterventionSet set = steering.isEmpty() ? null : steering.interventions(model.config());
            Hooks hooks = set == null ? null : set.toHooks(model.config()); // for the KL measurement, which compares hooked passes
            if (hooks != null) {
                System.err.println(SteerOptions.describe(steering.interventions(model.config())));
            }
            List<String> conditions = hooks == null ? List.of("unsteered") : List.of("unsteered", "steered");
            // one step per metric that is one call, one per sample, so the bar moves during the slow part
            long perCondition = (ab != null ? 1 : 0) + (texts != null ? 1 : 0) + (prompts != null ? samples : 0);
            long steps = conditions.size() * perCondition + (hooks != null && prompts != null ? 1 : 0);
            try (ProgressBar bar = io.jsteer.weights.ProgressBars.build(new ProgressBarBuilder().setTaskName("eval").setInitialMax(steps))) {
                for (String condition : conditions) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    engine.setInterventions(condition.equals("steered") ? set : null); // the one steering door
                    if (ab != null) {
                        List<AbItem> items = Datasets.abItems(ab).items().stream()
                                .map(i -> AbItem.fromCaa(i.question() + "\n\nAnswer: (", "(" + i.matching() + ")", "(" + i.notMatching() + ")"))
                                .toList();
                        bar.setExtraMessage(condition + ": A/B");
                        var r = new AbBehaviourScore(engine, tok).score(items);
                        row.put("ab_matching_probability", r.meanMatchingProbability());
                        row.put("ab_logit_difference", r.meanLogitDifference());
                        bar.step();
                    }
                    if (texts != null) {
                        bar.setExtraMessage(condition + ": perplexity");
                        var r = new Perplexity(engine).measure(lines(texts).stream().map(t -> tok.encode(t, true)).toList());
                        row.put("perplexity", r.perplexity());
                        bar.step();
                    }
                    if (prompts != null && samples > 0) {
                        List<String> ps = lines(prompts), generated = new ArrayList<>();
                        bar.setExtraMessage(condition + ": samples");
                        for (int i = 0; i < samples; i++) {
                            int[] ids = tok.encode(ps.get(i % ps.size()), true);
                            Sampler sampler = temperature == 0 ? Sampler.greedy() : new Sampler(temperature, 1f, seed + i);
                            GenerationResult g = new Generator(engine).generate(ids, maxTokens, sampler,
                                    t -> t == tok.eos() || t == tok.bos(), (a, b) -> {});
                            generated.add(tok.decode(g.generated()));
                            bar.step();
                        }
                        row.put("afinn_per_text", new AfinnSentiment(AfinnLexicon.load(afinn != null ? afinn
                                : ModelLocator.sharedData("sentiment/AFINN-en-165.txt"))).score(generated).meanSum());
                        row.put("refusal_rate", RefusalPhrases.defaults().rate(generated));
                        row.put("distinct2", Degeneration.mean(generated).distinct2());
                        row.put("compression_ratio", Degeneration.mean(generated).compressionRatio());
                    }
                    table.put(condition, row);
                }
                engine.setInterventions(null);
                if (hooks != null && prompts != null) {
                    bar.setExtraMessage("KL");
                    var kl = new NextTokenKl(engine, lines(prompts).stream().map(t -> tok.encode(t, true)).toList()).measure(hooks);
                    table.get("steered").put("kl_vs_unsteered", kl.mean());
                    table.get("unsteered").put("kl_vs_unsteered", 0.0);
                    bar.step();
                }
            }
        }
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
        return 0;
    }

    private static List<String> lines(Path file) throws java.io.IOException {
        List<String> l = InputFiles.readText("", file, InputFiles.DATASET_LIMIT).lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (l.isEmpty()) {
            throw new IllegalArgumentException(file + ": no lines");
        }
        return l;
    }
}
