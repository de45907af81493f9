package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.steering.kts.data.DemoCorpus;
import io.jsteer.steering.kts.eval.KtsEvaluation;
import io.jsteer.steering.kts.eval.RefusalEvaluation;
import io.jsteer.steering.kts.eval.TradeOffPoint;
import io.jsteer.steering.kts.eval.TradeOffReportWriter;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.kts.gate.Thresholds;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The §7 trade-off (original+steer vs KTS+steer) and the probe gate of a KTS run. */
@Command(name = "eval", description = "Measure the KTS trade-off (benign KL vs happy/sad target effect at c = k·c_max for the "
        + "original and the KTS model) and train the probe gate; writes NAME.json, NAME.html, the charts as NAME-effect.svg/.png and NAME-happy.svg/.png, "
        + "and the target vectors applied as NAME-target-original and NAME-target-kts (.safetensors + .json). The target is the one "
        + "kts train used (train.json's pool), rendered as in training, unless --target/--format/--template/--system say otherwise.",
        footer = {"", "Examples:", "  jsteer kts eval --run kts-run --out kts-run/tradeoff",
                "  jsteer kts eval --run kts-run --target sad_happy.json --format plain   # measure with another target"})
final class KtsEvalCommand implements Callable<Integer> {

    @Mixin CommonOptions common;
    @Mixin KtsTarget.Options targetOptions;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "run directory written by kts train")
    Path runDir;
    @Option(names = "--out", paramLabel = "PATH", description = "report path without extension (default: RUN/tradeoff)")
    Path out;
    @Option(names = "--prompts", defaultValue = "64", description = "targeted prompts (default: ${DEFAULT-VALUE})")
    int prompts;
    @Option(names = "--sample-tokens", defaultValue = "20", description = "tokens per sampled continuation (default: ${DEFAULT-VALUE})")
    int sampleTokens;
    @Option(names = "--gate-layer", defaultValue = "1", description = "block whose resid_post the probe reads (default: ${DEFAULT-VALUE})")
    int gateLayer;
    @Option(names = "--fpr", defaultValue = "0.05", description = "target false-positive rate of the gate (default: ${DEFAULT-VALUE})")
    double fpr;
    @Option(names = "--seed", defaultValue = "23", description = "seed of prompts and samples (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--json", description = "print the report as JSON")
    boolean json;
    @Option(names = "--refusal-data", paramLabel = "DIR", description = "also score refusals (a chat model's behaviour): DIR holds "
            + "advbench/harmful_behaviors.csv and refusal_direction/{harmful,harmless}_{train,test}.json (e.g. ../shared/data); "
            + "writes RUN/refusal.json")
    Path refusalData;
    @Option(names = "--refusal-prompts", defaultValue = "32", description = "harmful requests scored, half AdvBench, half "
            + "refusal_direction test (default: ${DEFAULT-VALUE})")
    int refusalPrompts;
    @Option(names = "--refusal-tokens", defaultValue = "48", description = "greedy answer length (default: ${DEFAULT-VALUE})")
    int refusalTokens;

    @Option(names = "--refusal-system", paramLabel = "TEXT", defaultValue = RefusalEvaluation.REFERENCE_SYSTEM_PROMPT,
            description = "system prompt of the refusal requests and of the refusal direction's prompts ('' for none; default: the "
                    + "reference code's \"${DEFAULT-VALUE}\")")
    String refusalSystem;

    @Override
    public Integer call() throws Exception {
        KtsRunFiles run = new KtsRunFiles(runDir);
        var summary = run.readSummary();
        Path base = out != null ? out : runDir.resolve("tradeoff");
        Engines.requireSupported(common.engine); // the tape passes (benign KL, the vectors) run on the CPU; generation, gate reads on --engine
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount())) {
            var tok = model.tokenizer();
            LoraAdapter adapter = LoraFiles.load(run.adapter(), model.config());
            List<int[]> eval = run.readSequences(run.benignEval());
            List<String> targeted = DemoCorpus.targetedPrompts(prompts, seed);
            KtsTarget.Rendered target = KtsTarget.of(run, summary, targetOptions, common, "jsteer kts eval", model);
            KtsEvaluation.Report report;
            Map<String, float[][]> vectors = new LinkedHashMap<>();
            try (ProgressBar bar = KtsTrainCommand.bar("eval", (long) KtsEvaluation.MODELS.size() * KtsEvaluation.FACTORS.size())) {
                report = KtsEvaluation.run(model.name(), model.config(), model.weights(), tok, adapter, target.ids(), eval, targeted,
                        summary.cMax(), summary.config().steerBlocks(), summary.config().normaliseVectors(), KtsEvaluation.FACTORS, sampleTokens, seed, par,
                        ctx -> Engines.create(common.engine, model, ctx, par), msg -> { bar.setExtraMessage(" " + msg); bar.step(); },
                        vectors::put);
            }
            // each model's own target vector as applied, beside the report (jsteer run --steer reads them)
            for (var v : vectors.entrySet()) {
                KtsTarget.writeVector(Path.of(base + "-target-" + v.getKey()), v.getValue(), model.name(), target.description());
            }
            Path jsonFile = Path.of(base + ".json"), htmlFile = Path.of(base + ".html");
            TradeOffReportWriter.write(report, jsonFile, htmlFile);
            List<Path> charts = TradeOffReportWriter.writeCharts(report, base);
            System.err.println("charts: " + charts);
            Map<String, Object> gate = gate(model, par, run, eval, targeted);
            Map<String, Object> refusal = refusalData == null ? null : refusal(model, par, adapter, summary);
            KtsRunFiles.writeJson(Path.of(base + "-gate.json"), gate);
            if (json) {
                Map<String, Object> all = new LinkedHashMap<>();
                all.put("tradeoff", report);
                all.put("gate", gate);
                if (refusal != null) {
                    all.put("refusal", refusal);
                }
                System.out.println(KtsRunFiles.JSON.writeValueAsString(all));
            } else {
                System.out.printf("c_max %.4f; unsteered parity KL(p_orig ‖ p_KTS) %.5f nat/token%n", report.cMax(), report.unsteeredParityKl());
                System.out.println("model            c/c_max  benign KL  Δlog-odds  happy share");
                for (TradeOffPoint p : report.points()) {
                    System.out.printf("%-16s %7.2f  %9.4f  %9.3f  %11.3f%n", p.model(), p.factor(), p.benignKl(), p.logOddsChange(), p.happyShare());
                }
                System.out.println("matched effect: KTS c/c_max  Δlog-odds  KTS KL  original KL at that effect  ratio");
                for (var e : report.matchedEffect()) {
                    System.out.printf("                %7.2f  %9.3f  %6.4f  %26.4f  %5.3f%n", e.factor(), e.logOddsChange(), e.benignKl(),
                            e.referenceKl(), e.ratio());
                }
                System.out.printf("gate: %s%nreport: %s, %s%n", gate, jsonFile, htmlFile);
                if (refusal != null) {
                    System.out.printf("refusal (chat model: %s): %s%n", refusal.get("chatModel"), refusal.get("rates"));
                }
            }
        }
        return 0;
    }

    /** Probe on the KTS model's resid_post at the gate layer: half of the prompts train it, the rest are the dev split. */
    private Map<String, Object> gate(LoadedModel model, Parallel par, KtsRunFiles run, List<int[]> benign, List<String> targeted)
            throws Exception {
        var tok = model.tokenizer();
        LoraAdapter adapter = LoraFiles.load(run.adapter(), model.config());
        try (InferenceEngine engine = Engines.create(common.engine, model, 256, par)) {
            engine.setAdapter(adapter);
            ActivationCapture.LastToken reader = ActivationCapture.residuals(engine);
            int nTrain = Math.min(benign.size(), targeted.size()) / 2;
            List<float[]> x = new ArrayList<>();
            List<Boolean> y = new ArrayList<>();
            for (int i = 0; i < nTrain; i++) {
                x.add(reader.lastToken(prefix(benign.get(i)))[gateLayer]);
                y.add(false);
                x.add(reader.lastToken(tok.encode(targeted.get(i), true))[gateLayer]);
                y.add(true);
            }
            LinearProbe probe = LinearProbe.train(gateLayer, x, y, 300, seed);
            List<Double> devBenign = new ArrayList<>(), devTargeted = new ArrayList<>();
            for (int i = nTrain; i < benign.size(); i++) {
                devBenign.add(probe.score(reader.lastToken(prefix(benign.get(i)))[gateLayer]));
            }
            for (int i = nTrain; i < targeted.size(); i++) {
                devTargeted.add(probe.score(reader.lastToken(tok.encode(targeted.get(i), true))[gateLayer]));
            }
            double t = Thresholds.forFalsePositiveRate(devBenign, fpr);
            probe.save(run.gate(), t);
            Map<String, Object> g = new LinkedHashMap<>();
            g.put("site", "resid_post:" + gateLayer);
            g.put("threshold", t);
            g.put("target_fpr", fpr);
            g.put("dev_fpr", Thresholds.rateAbove(devBenign, t));
            g.put("dev_tpr", Thresholds.rateAbove(devTargeted, t));
            g.put("file", run.gate().toString());
            return g;
        }
    }

    /** The refusal-style behaviour score ({@link RefusalEvaluation}) at c/c_max in {-1, 0, 1}; also written to RUN/refusal.json. */
    private Map<String, Object> refusal(LoadedModel model, Parallel par, LoraAdapter adapter, KtsRunFiles.TrainSummary summary)
            throws Exception {
        if (refusalPrompts < 2) {
            throw new UsageException("--refusal-prompts must be at least 2, got " + refusalPrompts);
        }
        var tok = model.tokenizer();
        int half = refusalPrompts / 2;
        List<String> harmful = new ArrayList<>();
        harmful.addAll(first(Datasets.prompts(refusalData.resolve("advbench/harmful_behaviors.csv"), "goal", "harmful"), half));
        harmful.addAll(first(Datasets.prompts(refusalData.resolve("refusal_direction/harmful_test.json"), "instruction", "harmful"),
                refusalPrompts - half));
        List<String> bad = first(Datasets.prompts(refusalData.resolve("refusal_direction/harmful_train.json"), "instruction", "h"), 32);
        List<String> good = first(Datasets.prompts(refusalData.resolve("refusal_direction/harmless_train.json"), "instruction", "b"), 32);
        List<ContrastivePair> pairs = new ArrayList<>();
        for (int i = 0; i < Math.min(bad.size(), good.size()); i++) {
            pairs.add(new ContrastivePair(bad.get(i), good.get(i)));
        }
        // a chat model carries a chat template or its vocabulary has Llama 3 headers, or its name says so;
        // otherwise only the mechanics run
        var template = common.chatTemplate("jsteer kts eval", model, null);
        boolean chat = template.description().startsWith("the model's own") || tok.tokenId("<|start_header_id|>").isPresent()
                || model.name().toLowerCase(java.util.Locale.ROOT).matches(".*(chat|instruct).*");
        if (!chat) {
            System.err.println("jsteer: note: " + model.name() + " is not a chat model; the refusal score only exercises the mechanics");
        }
        List<RefusalEvaluation.Point> points;
        List<Double> factors = List.of(-1.0, 0.0, 1.0);
        try (ProgressBar bar = KtsTrainCommand.bar("refusal", 2L * factors.size())) {
            points = RefusalEvaluation.run(model.config(), tok, template.template(), refusalSystem, adapter,
                    pairs, harmful, summary.config().steerBlocks(), summary.config().normaliseVectors(), summary.cMax(), factors,
                    refusalTokens, ctx -> Engines.create(common.engine, model, ctx, par), msg -> { bar.setExtraMessage(" " + msg); bar.step(); });
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("chatModel", chat);
        r.put("systemPrompt", refusalSystem);
        r.put("prompts", harmful.size());
        r.put("directionPairs", pairs.size());
        Map<String, Double> rates = new LinkedHashMap<>();
        for (var p : points) {
            rates.put(p.model() + "@" + p.factor(), p.refusalRate());
        }
        r.put("rates", rates);
        r.put("points", points);
        KtsRunFiles.writeJson(runDir.resolve("refusal.json"), r);
        return r;
    }

    private static List<String> first(io.jsteer.steering.data.Dataset<io.jsteer.steering.data.LabelledPrompt> d, int n) {
        return d.items().stream().limit(n).map(io.jsteer.steering.data.LabelledPrompt::text).toList();
    }

    /** A benign prompt: the first 16 tokens of a benign sequence (requests are prompts, not whole stories). */
    private static int[] prefix(int[] seq) {
        return java.util.Arrays.copyOf(seq, Math.min(16, seq.length));
    }
}
