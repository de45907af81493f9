package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatApplication;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.mat.MatPrompts;
import io.jsteer.steering.mat.MatParameters;
import io.jsteer.model.intervene.Site;
import io.jsteer.spark.ModelRecipe;
import io.jsteer.steering.mat.baselines.Icv;
import io.jsteer.steering.mat.baselines.Iti;
import io.jsteer.steering.vectors.VectorAlgebra;
import io.jsteer.steering.mat.tasks.TaskSource;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.mat.tasks.TaskSplits;
import io.jsteer.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** MC2 / multiple-choice accuracy with and without a MAT-Steer module, plus Table-2-style gate statistics. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Score the tasks' test split unsteered and with MAT-Steer "
        + "(stdout: MC2 and argmax accuracy per task, gate statistics on true vs false answers).",
        footer = {"", "Example:", "  jsteer mat eval --model stories260K --mat runs/mat.safetensors --eval-items 100"})
class MatEvalCommand implements Callable<Integer> {

    /**
     * Where the items and texts are scored: this machine's engine, or a Spark cluster
     * ({@code jsteer spark mat-eval}). Conditions come as recipes so that other machines can
     * rebuild their steering against their own copy of the model.
     */
    interface Scoring {
        MatEvaluator.Score score(String task, List<McItem> items, ModelRecipe<MatEvaluator.ItemSteering> how, String label);

        double meanKl(List<Text> texts, ModelRecipe<InterventionSet> steered);

        GateStats gateStats(List<Text> texts, MatCheckpoint module);

        MatEvaluator.GatesByRole gatesByRole(List<McItem> items, MatCheckpoint module);
    }

    /** A choice text: its plain string (what remote machines encode) and its ids under the prompt format. */
    record Text(String plain, int[] ids) {}

    /** The single-machine scoring: every item and text on {@code engine}, one after another. */
    static Scoring local(LoadedModel model, InferenceEngine engine, MatPrompts prompts) {
        MatEvaluator eval = new MatEvaluator(engine, prompts);
        return new Scoring() {
            public MatEvaluator.Score score(String task, List<McItem> items, ModelRecipe<MatEvaluator.ItemSteering> how, String label) {
                return eval.score(task, items, how.make(model), label);
            }

            public double meanKl(List<Text> texts, ModelRecipe<InterventionSet> steered) {
                return eval.meanKlOfIds(texts.stream().map(Text::ids).toList(), steered.make(model));
            }

            public GateStats gateStats(List<Text> texts, MatCheckpoint module) {
                return eval.gateSumsOfIds(texts.stream().map(Text::ids).toList(), module.parameters(), module.site()).stats();
            }

            public MatEvaluator.GatesByRole gatesByRole(List<McItem> items, MatCheckpoint module) {
                return eval.gatesByRole(items, module.parameters(), module.site());
            }
        };
    }

    /** Where to score; {@code jsteer spark mat-eval} scores on the cluster. */
    Scoring scoring(LoadedModel model, InferenceEngine engine, MatPrompts prompts) {
        return local(model, engine, prompts);
    }

    /** Scores of one task with and without the module, and the gates on its true and false answer texts. */
    record TaskResult(String task, int items, int skipped, double baseMc1, double matMc1, double baseMc2, double matMc2, double baseAccuracy,
                      double matAccuracy, Map<String, MatEvaluator.Score> baselines, Map<String, Double> klOnTrueAnswers,
                      GateStats gatesOnTrue, GateStats gatesOnFalse, MatEvaluator.GatesByRole gatesByRole) {}

    @Mixin
    CommonOptions common;

    @Mixin
    MatDataOptions data;

    @Option(names = "--mat", paramLabel = "FILE", required = true, description = "MAT-Steer checkpoint (.safetensors with its .json)")
    Path mat;

    @Option(names = "--split", paramLabel = "test|dev|train", defaultValue = "test", description = "split to score (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--eval-items", paramLabel = "N", description = "at most N questions per task (default: all)")
    Integer evalItems;

    @Option(names = "--seed", paramLabel = "N", description = "split seed (default: the module's training seed, so test is held out)")
    Long seed;

    @Option(names = "--ctx-size", paramLabel = "N", defaultValue = "2048",
            description = "KV-cache positions, capped at the model's context (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--no-baselines", description = "skip the baselines (CAA: the module's caa_vectors, own attribute's vector; "
            + "sum: all of them ungated; ITI and ICV, fitted here on the task's train split)")
    boolean noBaselines;

    @Option(names = "--iti-heads", paramLabel = "K", defaultValue = "48",
            description = "ITI baseline: attention heads kept by probe accuracy (default: ${DEFAULT-VALUE}, the reference's K)")
    int itiHeads;

    @Option(names = "--iti-alpha", paramLabel = "X", defaultValue = "15",
            description = "ITI baseline: α, the shift in units of each head's σ (default: ${DEFAULT-VALUE}, the reference's)")
    double itiAlpha;

    @Option(names = "--icv-lambda", paramLabel = "X", defaultValue = "0.8",
            description = "ICV baseline: λ (default: ${DEFAULT-VALUE}, the ICV code's default; the paper tunes it)")
    double icvLambda;

    @Option(names = "--baseline-items", paramLabel = "N", defaultValue = "100",
            description = "train items per task on which ITI's probes and ICV's pairs are fitted (default: ${DEFAULT-VALUE})")
    int baselineItems;

    @Option(names = "--caa-strength", paramLabel = "C", defaultValue = "1",
            description = "multiplier of the baselines' mean-difference vectors (default: ${DEFAULT-VALUE})")
    double caaStrength;

    @Option(names = "--kl-texts", paramLabel = "N", defaultValue = "20",
            description = "true-answer texts per task on which KL(base ‖ method) of next-token distributions is measured "
                    + "(0: none; default: ${DEFAULT-VALUE})")
    int klTexts;

    @Option(names = "--json", description = "print the results as JSON")
    boolean json;

    @Mixin
    MatFormatOptions format;

    @Override
    public Integer call() throws Exception {
        MatCheckpoint module = MatCheckpoint.load(mat);
        long splitSeed = seed != null ? seed : module.metadata().seed();
        int cap = evalItems == null ? Integer.MAX_VALUE : MatDataOptions.positive("--eval-items", evalItems);
        List<TaskSource> tasks;
        try {
            tasks = data.tasks(module.metadata().attributes());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; name the module's JSONL attributes with --tasks FILE.jsonl");
        }
        List<TaskResult> results = new ArrayList<>();
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, MatDataOptions.positive("--ctx-size", ctxSize), par)) {
            module.requireCompatible(model.config(), model.name());
            MatPrompts prompts = format.prompts(common, "mat eval", model, module.metadata());
            Scoring eval = scoring(model, engine, prompts);
            MatPrompts rendering = prompts.isTemplate() ? prompts : null; // plain: rebuilt from each machine's tokenizer
            MatParameters params = module.parameters();
            String site = module.metadata().site();
            for (TaskSource t : tasks) {
                TaskSplits s = t.load(data.dataDir(), splitSeed).limit(Integer.MAX_VALUE, cap);
                List<McItem> items = s.split(split);
                if (items.size() > cap) {
                    items = items.subList(0, cap);
                }
                MatEvaluator.Score base = eval.score(t.label(), items, m -> item -> null, t.label() + " base");
                MatApplication how = MatApplication.of(module);
                MatEvaluator.Score steered = eval.score(t.label(), items,
                        m -> rendering != null ? MatEvaluator.itemSteering(params, Site.parse(site), how, m.config(), rendering)
                                : MatEvaluator.itemSteering(params, Site.parse(site), how, m.config(), m.tokenizer()), t.label() + " mat");
                Map<String, MatEvaluator.Score> baselines = new LinkedHashMap<>();
                // recipes of serializable values (vectors, fitted baselines), rebuilt against each machine's model
                Map<String, ModelRecipe<InterventionSet>> methodHooks = new LinkedHashMap<>();
                float[][] caa = module.baselineVectors();
                if (!noBaselines) {
                    if (caa != null) {
                        int own = module.parameters().attributes().indexOf(t.label());
                        if (own >= 0) {
                            float[] v = VectorAlgebra.scale(caa[own], caaStrength);
                            methodHooks.put("caa", m -> hooks(m, site, v));
                        }
                        float[] sum = new float[caa[0].length];
                        for (float[] v : caa) {
                            sum = VectorAlgebra.add(sum, VectorAlgebra.scale(v, caaStrength));
                        }
                        float[] all = sum;
                        methodHooks.put("sum", m -> hooks(m, site, all));
                    }
                    List<McItem> fitOn = s.train().subList(0, Math.min(MatDataOptions.positive("--baseline-items", baselineItems),
                            s.train().size()));
                    Iti iti = Iti.fit(engine, prompts, fitOn, MatDataOptions.positive("--iti-heads", itiHeads), itiAlpha,
                            splitSeed, true);
                    methodHooks.put("iti", m -> iti.interventions(m.config()));
                    Icv icv = Icv.fit(engine, prompts, fitOn, icvLambda, true);
                    methodHooks.put("icv", m -> icv.interventions(m.config()));
                    for (var e : methodHooks.entrySet()) {
                        ModelRecipe<InterventionSet> h = e.getValue();
                        baselines.put(e.getKey(), eval.score(t.label(), items, m -> {
                            InterventionSet made = h.make(m);
                            return item -> made;
                        }, t.label() + " " + e.getKey()));
                    }
                }
                methodHooks.put("mat", m -> how.interventions(params, Site.parse(site), m.config(), 0, 0));
                List<Text> trueTexts = new ArrayList<>(), falseTexts = new ArrayList<>();
                for (McItem item : items) {
                    for (int i = 0; i < item.choices().size(); i++) {
                        (item.correct().get(i) ? trueTexts : falseTexts).add(new Text(item.text(i), prompts.ids(item, i)));
                    }
                }
                Map<String, Double> kl = new LinkedHashMap<>();
                if (klTexts > 0) {
                    List<Text> klOn = trueTexts.subList(0, Math.min(klTexts, trueTexts.size()));
                    for (var e : methodHooks.entrySet()) {
                        kl.put(e.getKey(), eval.meanKl(klOn, e.getValue()));
                    }
                }
                results.add(new TaskResult(t.label(), base.items(), base.skipped(), base.mc1(), steered.mc1(), base.mc2(), steered.mc2(), base.accuracy(),
                        steered.accuracy(), baselines, kl, eval.gateStats(trueTexts, module), eval.gateStats(falseTexts, module),
                        eval.gatesByRole(items, module)));
            }
        }
        print(results, module);
        return 0;
    }

    private static String percent(double v) {
        return Double.isNaN(v) ? "      - " : String.format(Locale.ROOT, "%6.2f%%", 100 * v);
    }

    private static InterventionSet hooks(LoadedModel model, String site, float[] vector) {
        InterventionSet set = InterventionSet.of(AddVector.of(Site.parse(site), vector, 1, Positions.ALL));
        set.validate(model.config());
        return set;
    }

    private void print(List<TaskResult> results, MatCheckpoint module) throws Exception {
        PrintStream p = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mat", mat.toString());
            m.put("site", module.metadata().site());
            m.put("split", split);
            m.put("tasks", results);
            p.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return;
        }
        p.printf(Locale.ROOT, "MAT-Steer %s at %s, %s split (MC1: best answer above every incorrect one, TruthfulQA only; "
                + "MC2: mass on true answers; acc: argmax likelihood is true)%n", mat.getFileName(), module.metadata().site(), split);
        p.println("task          items  method  MC1       MC2       acc");
        for (TaskResult r : results) {
            p.printf(Locale.ROOT, "%-12s %6d  base    %s   %6.2f%%   %6.2f%%%s%n", r.task(), r.items(), percent(r.baseMc1()),
                    100 * r.baseMc2(), 100 * r.baseAccuracy(), r.skipped() > 0 ? "  (" + r.skipped() + " over the context, skipped)" : "");
            for (var b : r.baselines().entrySet()) {
                p.printf(Locale.ROOT, "%-12s %6s  %-6s  %s   %6.2f%%   %6.2f%%%n", "", "", b.getKey(), percent(b.getValue().mc1()),
                        100 * b.getValue().mc2(), 100 * b.getValue().accuracy());
            }
            p.printf(Locale.ROOT, "%-12s %6s  MAT     %s   %6.2f%%   %6.2f%%%n", "", "", percent(r.matMc1()), 100 * r.matMc2(),
                    100 * r.matAccuracy());
        }
        p.println("(caa: the task's own mean-difference vector added at every position; sum: all attributes' vectors, ungated;");
        p.printf(Locale.ROOT, " iti: top %d heads by probe accuracy, α %.3g × σ along the mass-mean shift; icv: λ %.3g at every layer's "
                + "MLP output; both fitted on %d train items per task)%n", itiHeads, itiAlpha, icvLambda, baselineItems);
        if (klTexts > 0) {
            p.println();
            p.println("mean per-token KL(base ‖ method) of next-token distributions on true-answer texts (lower: less disturbance)");
            for (TaskResult r : results) {
                StringBuilder b = new StringBuilder();
                r.klOnTrueAnswers().forEach((k, v) -> b.append(String.format(Locale.ROOT, "  %s %.4g", k, v)));
                p.printf(Locale.ROOT, "  %-12s%s%n", r.task(), b);
            }
        }
        p.println();
        p.println("gates per token (mean gate per attribute; tokens with a gate > 0.5 per text)");
        for (TaskResult r : results) {
            for (var e : List.of(Map.entry("true answers", r.gatesOnTrue()), Map.entry("false answers", r.gatesOnFalse()))) {
                GateStats g = e.getValue();
                StringBuilder gates = new StringBuilder();
                for (int t = 0; t < g.attributes().size(); t++) {
                    gates.append(String.format(Locale.ROOT, " %s %.3f", g.attributes().get(t), g.meanGate()[t]));
                }
                p.printf(Locale.ROOT, "  %-12s %-14s%s; intervened %.1f of %.1f tokens%n", r.task(), e.getKey(), gates,
                        g.intervenedPerText(), g.tokensPerText());
            }
        }
        p.println();
        p.println("gates by token role (mean gate per attribute, in brackets the share of tokens where it is > 0.5;");
        p.println("  'words' are the answer tokens that the item's opposite answers lack: the words that carry the attribute)");
        for (TaskResult r : results) {
            var roles = r.gatesByRole();
            for (var e : List.of(Map.entry("prompt tokens", roles.prompt()), Map.entry("true answers", roles.trueAnswers()),
                    Map.entry("false answers", roles.falseAnswers()), Map.entry("true words", roles.trueWords()),
                    Map.entry("false words", roles.falseWords()))) {
                GateStats g = e.getValue();
                StringBuilder gates = new StringBuilder();
                for (int t = 0; t < g.attributes().size(); t++) {
                    gates.append(String.format(Locale.ROOT, " %s %.3f (%.0f%%)", g.attributes().get(t), g.meanGate()[t],
                            100 * g.openShare()[t]));
                }
                p.printf(Locale.ROOT, "  %-12s %-14s%s; %.1f tokens per text%n", r.task(), e.getKey(), gates, g.tokensPerText());
            }
        }
    }
}
