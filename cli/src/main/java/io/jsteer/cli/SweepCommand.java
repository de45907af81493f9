package io.jsteer.cli;

import io.jsteer.weights.InputFiles;
import io.jsteer.cli.serve.VectorSteering;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Positions;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.eval.AfinnLexicon;
import io.jsteer.steering.eval.RefusalPhrases;
import io.jsteer.steering.report.SweepHtmlReport;
import io.jsteer.steering.report.SweepJson;
import io.jsteer.steering.sweep.BehaviourMetric;
import io.jsteer.steering.sweep.BestCellCriteria;
import io.jsteer.steering.sweep.SentimentSweepDemo;
import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepConfig;
import io.jsteer.steering.sweep.SweepResult;
import io.jsteer.steering.sweep.SweepRunner;
import io.jsteer.steering.sweep.SteeringFactory;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.model.intervene.Strength;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Layers × strengths of one vector set → behaviour, KL, perplexity, degeneration; JSON + HTML. */
@Command(name = "sweep", description = "Sweep a steering vector over layers x strengths; write OUT/sweep.json, a self-contained OUT/sweep.html "
                + "and each chart as OUT/sweep-CHART.svg and .png (error bars: 95%% bootstrap interval over the samples).",
        footer = {"", "Examples:",
                "  # the README demo: happy-sad on stories260K, AFINN sentiment of 50 stories per cell",
                "  jsteer sweep --demo sentiment --out sweep-happy",
                "  jsteer sweep --steer happy.json --layers 1-3 --strengths 0,1,2,4 --prompts stories.txt --metric afinn --out sweep",
                "  jsteer sweep --steer refusal.json --metric ab:../shared/data/caa/refusal_test_dataset_ab.json --out sweep-ab"})
class SweepCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--steer", paramLabel = "SET", description = "vector set to sweep (NAME.json or NAME)")
    Path set;

    @Option(names = "--demo", paramLabel = "sentiment",
            description = "the README demo: a happy-sad vector made from paired story sentences, story prompts, AFINN sentiment")
    String demo;

    @Option(names = "--layers", paramLabel = "LAYERS", description = "layers to sweep: 4, 3-6, 0,2,5-7 or all (default: every layer of the set)")
    String layers;

    @Option(names = "--strengths", split = ",", paramLabel = "S", defaultValue = "0,0.5,1,1.5,2",
            description = "strengths, 0 = the unsteered baseline (default: ${DEFAULT-VALUE}); a strength is the length added, "
                    + "S x the unit direction of the layer's vector, as in run --steer NAME:S")
    List<Double> strengths;

    @Option(names = "--raw", description = "strengths multiply the vectors as stored (as run --steer NAME:S:raw and llama.cpp)")
    boolean raw;

    @Option(names = "--metric", paramLabel = "afinn|refusal|ab:FILE", defaultValue = "afinn",
            description = "behaviour score: AFINN sentiment of the samples, refusal-phrase rate, or p(matching letter) on CAA A/B items (default: ${DEFAULT-VALUE})")
    String metric;

    @Option(names = "--afinn", paramLabel = "PATH", description = "AFINN lexicon (default: ../shared/data/sentiment/AFINN-en-165.txt beside the models)")
    Path afinn;

    @Option(names = "--prompts", paramLabel = "FILE", description = "prompts to sample from, one per line (default for --demo: story starts)")
    Path prompts;

    @Option(names = "--kl-prompts", paramLabel = "FILE", description = "benign prompts for KL against the unsteered model, one per line (default: --prompts)")
    Path klPrompts;

    @Option(names = "--ppl-texts", paramLabel = "FILE", description = "held-out texts for perplexity, one per line (default: none; the demo has its own)")
    Path pplTexts;

    @Option(names = "--samples", defaultValue = "50", description = "samples per cell (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--max-tokens", defaultValue = "64", description = "tokens per sample (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "sampling temperature (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--seed", defaultValue = "42", description = "seed; every cell uses the same seeds (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--positions", paramLabel = "all|prompt|generated", defaultValue = "all", description = "which tokens get the vector (default: ${DEFAULT-VALUE})")
    String positions;

    @Option(names = "--max-kl", defaultValue = "1.0", description = "best cell: KL on benign prompts at most this, in nats (default: ${DEFAULT-VALUE})")
    double maxKl;

    @Option(names = "--ctx-size", defaultValue = "512", description = "KV-cache positions (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "writes DIR/sweep.json and DIR/sweep.html")
    Path out;

    @Override
    public Integer call() throws Exception {
        if ((set == null) == (demo == null)) {
            throw new IllegalArgumentException("give --steer SET or --demo sentiment (one of them)");
        }
        for (double st : strengths) {
            Strength.check("--strengths", st);
        }
        if (demo != null && !demo.equals("sentiment")) {
            throw new UsageException("--demo: the only demo is 'sentiment', got '" + demo + "'");
        }
        Positions where = Positions.parse(positions);
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, ctxSize, par)) {
            var tok = model.tokenizer();
            VectorSet vectors = demo != null
                    ? SentimentSweepDemo.happyMinusSad(engine, tok, model.name())
                    : VectorSteering.files(model.config()).set(set.toString());
            vectors.requireFits(model.config(), demo != null ? "demo vector" : set.toString());
            if (set != null) {
                vectors.legacyStrengthNote(set.toString()).filter(n -> !raw).ifPresent(n -> System.err.println("jsteer: note: " + n));
            }
            VectorSet steered = steerable(vectors, raw);
            LayerSelection layerChoice = layers == null ? LayerSelection.all("--layers") : LayerSelection.parse("--layers", layers);
            List<Integer> chosen = new ArrayList<>(layerChoice.isAll() ? vectors.vectors().keySet()
                    : layerChoice.resolve(model.config().nLayers()));
            for (int l : chosen) {
                if (!vectors.vectors().containsKey(l)) {
                    throw new IllegalArgumentException("--layers: the vector set has no layer " + l + " (it has " + vectors.vectors().keySet() + ")");
                }
            }
            BehaviourMetric behaviour = metric(model);
            SweepConfig.Builder cfg = SweepConfig.builder().layers(chosen).strengths(strengths).samples(samples)
                    .maxTokens(maxTokens).temperature(temperature).seed(seed);
            List<String> promptList = prompts != null ? lines(prompts) : demo != null ? SentimentSweepDemo.STORY_PROMPTS : List.of("");
            cfg.prompts(promptList);
            cfg.klPrompts(klPrompts != null ? lines(klPrompts) : demo != null ? SentimentSweepDemo.NEUTRAL_PROMPTS
                    : promptList.stream().filter(p -> !p.isEmpty()).findAny().isPresent() ? promptList : List.of("Once upon a time"));
            if (pplTexts != null) {
                cfg.perplexityTexts(lines(pplTexts));
            } else if (demo != null) {
                cfg.perplexityTexts(SentimentSweepDemo.HELD_OUT_STORIES);
            }
            String description = (demo != null ? "demo: unit(mean happy - mean sad) at resid_post" : set.toString())
                    + (raw ? ", strength x stored vector" : ", strength = length added (x unit direction)")
                    + ", " + where.label() + " positions";
            residScale(steered, chosen).ifPresent(System.err::println);
            SweepResult result = sweep(model, engine, cfg.build(), behaviour, description, steered, where);
            Files.createDirectories(out);
            SweepJson.write(result, out.resolve("sweep.json"));
            BestCellCriteria criteria = new BestCellCriteria(maxKl, BestCellCriteria.defaults().minDistinct2Ratio(), true);
            List<Path> charts = SweepHtmlReport.write(result, criteria, out.resolve("sweep.html"));
            print(result, criteria);
            result.best(criteria).flatMap(b -> SweepHtmlReport.edgeWarning(result, b))
                    .ifPresent(w -> System.err.println("jsteer: warning: " + w));
            System.out.println("wrote " + out.resolve("sweep.json") + " and " + out.resolve("sweep.html") + ", charts as .svg and .png: "
                    + charts.stream().filter(p -> p.toString().endsWith(".svg")).map(p -> p.getFileName().toString()
                            .replaceFirst("\\.svg$", "")).toList());
        }
        return 0;
    }

    /** One stderr line putting the strengths in proportion: the stream's typical norm at each swept layer, when recorded. */
    private static java.util.Optional<String> residScale(VectorSet set, List<Integer> layers) {
        return set.residNorms().map(n -> "jsteer: typical residual norm per layer (recorded at extraction): " + layers.stream()
                .map(l -> String.format(java.util.Locale.ROOT, "%s:%d %.3g", set.kind().label(), l, n.get(l))).toList());
    }

    /** Runs every cell on this machine's engine; `jsteer spark sweep` runs the cells as a Spark job instead. */
    SweepResult sweep(LoadedModel model, InferenceEngine engine, SweepConfig config, BehaviourMetric behaviour, String description,
                      VectorSet vectors, Positions where) {
        return new SweepRunner(engine, model.tokenizer(), model.name()).run(config, behaviour, description,
                cells(vectors, where, model.config()));
    }

    /**
     * The vectors a sweep multiplies by its strengths: each layer's unit direction (jsteer's one
     * strength convention, as run --steer NAME:S), or the vectors as stored with --raw.
     */
    static VectorSet steerable(VectorSet vectors, boolean raw) {
        return raw ? vectors : vectors.normalised();
    }

    /** Cell (layer, strength) of a sweep over {@link #steerable} vectors: strength x that layer's vector at the given positions. */
    static SteeringFactory cells(VectorSet steerable, Positions where, io.jsteer.model.LlamaConfig config) {
        // the vectors are already the unit directions or the raw ones: multiplied as given
        return (layer, strength) -> {
            var set = steerable.interventions(List.of(layer), strength, where, true);
            set.validate(config);
            return set;
        };
    }

    BehaviourMetric metric(LoadedModel model) {
        return metric(metric, metric.equals("afinn") ? afinnPath() : null);
    }

    /** The AFINN lexicon's path: --afinn or the shared one. */
    Path afinnPath() {
        return afinn != null ? afinn : ModelLocator.sharedData("sentiment/AFINN-en-165.txt");
    }

    /** The behaviour metric of a --metric value; {@code afinnLexicon} is read for afinn only. */
    static BehaviourMetric metric(String metric, Path afinnLexicon) {
        if (metric.equals("afinn")) {
            return BehaviourMetric.afinnSentiment(AfinnLexicon.load(afinnLexicon));
        }
        if (metric.equals("refusal")) {
            return BehaviourMetric.refusalRate(RefusalPhrases.defaults());
        }
        if (metric.startsWith("ab:")) {
            Path file = Path.of(metric.substring(3));
            List<AbItem> items = Datasets.abItems(file).items().stream()
                    .map(AbItem::awaitingLetter)
                    .toList();
            return BehaviourMetric.abScore(items);
        }
        throw new UsageException("--metric must be afinn, refusal or ab:FILE, got '" + metric + "'");
    }

    private static List<String> lines(Path file) throws java.io.IOException {
        List<String> l = InputFiles.readText("", file, InputFiles.DATASET_LIMIT).lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (l.isEmpty()) {
            throw new IllegalArgumentException(file + ": no prompts (one per line)");
        }
        return l;
    }

    /** A table on stdout: one row per cell, the best marked. */
    private static void print(SweepResult r, BestCellCriteria criteria) {
        var best = r.best(criteria);
        System.out.printf("%-6s %-9s %-10s %-18s %-9s %-10s %-9s%n", "layer", "strength", "behaviour", "95% interval", "KL",
                "perplexity", "distinct2");
        List<SweepCell> rows = new ArrayList<>();
        rows.add(r.baseline());
        rows.addAll(r.cells());
        for (SweepCell c : rows) {
            String ci = c.behaviourPerSample().size() > 1
                    ? SweepHtmlReport.interval(io.jsteer.steering.report.BootstrapInterval.of95(c.behaviourPerSample())) : "-";
            System.out.printf("%-6s %-9.3g %-10.4f %-18s %-9.4f %-10s %-9s%s%n", c.unsteered() ? "-" : String.valueOf(c.layer()), c.strength(),
                    c.behaviour(), ci, c.klMean(), c.perplexity() == null ? "-" : String.format("%.3f", c.perplexity()),
                    c.degeneration() == null ? "-" : String.format("%.3f", c.degeneration().distinct2()),
                    best.isPresent() && best.get() == c ? "  <- best" : "");
        }
    }
}
