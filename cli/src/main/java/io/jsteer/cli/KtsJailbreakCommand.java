package io.jsteer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.data.LabelledPrompt;
import io.jsteer.steering.kts.eval.RefusalEvaluation;
import io.jsteer.steering.kts.experiments.ConceptFiles;
import io.jsteer.steering.kts.experiments.ExperimentReport;
import io.jsteer.steering.kts.experiments.JailbreakExperiment;
import io.jsteer.steering.kts.experiments.JailbreakTemplates;
import io.jsteer.steering.kts.experiments.PromptFormat;
import io.jsteer.steering.kts.experiments.PromptGate;
import io.jsteer.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The jailbreak harness with the benign-side cost of each deployment. */
@Command(name = "jailbreak", description = "AdvBench requests wrapped in jailbreak templates (direct, prefix injection, refusal "
        + "suppression, role-play), answered by the original model, original + steer, KTS + steer and the probe-gated KTS "
        + "deployment; attack success by refusal phrases and, with --judge, by a judge's 1-4 harm score (>= 3); benign cost as "
        + "KL/perplexity on benign requests and, with --judge, MT-Bench-style grades and win rates on two-turn prompts; writes "
        + "NAME.json and NAME.html.",
        footer = {"", "Examples:", "  jsteer kts jailbreak --data ../shared/data --run kts-run --requests 8",
                "  jsteer kts jailbreak -m llama-2-7b-chat.Q8_0.gguf --lora kts-7b/adapter --blocks 3-21 --c-max 1 \\",
                "      --data ../shared/data --requests 100 --judge http://localhost:8080 --judge-model gpt-4"})
final class KtsJailbreakCommand implements Callable<Integer> {

    @Mixin CommonOptions common;
    @Mixin KtsExperimentOptions exp;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "shared data directory: advbench/harmful_behaviors.csv, "
            + "caa/refusal_generate_dataset.json, refusal_direction/{harmful,harmless}_{train,val,test}.json")
    Path data;
    @Option(names = "--requests", defaultValue = "16", description = "AdvBench requests (the first N) per template (default: ${DEFAULT-VALUE})")
    int requests;
    @Option(names = "--templates", paramLabel = "FILE", description = "jailbreak templates, a JSON object {\"name\": \"... {request} ...\"} "
            + "(default: the built-in four)")
    Path templates;
    @Option(names = "--direction", paramLabel = "FILE", description = "refusal A/B items of the steering direction (default: DATA/caa/refusal_generate_dataset.json)")
    Path direction;
    @Option(names = "--direction-pairs", defaultValue = "0", description = "use only the first N train pairs of the direction (0: all, "
            + "the reference's 80 %% split; default: ${DEFAULT-VALUE})")
    int directionPairs;
    @Option(names = "--factor", defaultValue = "1", description = "safety steering strength: c = -factor x c_max (default: ${DEFAULT-VALUE})")
    double factor;
    @Option(names = "--gate", paramLabel = "FILE", description = "probe gate.json (from kts eval) instead of training one here")
    Path gateFile;
    @Option(names = "--gate-layer", paramLabel = "L", description = "block whose resid_post the gate reads (default: the reference's 5 of 32, scaled)")
    Integer gateLayer;
    @Option(names = "--gate-train", defaultValue = "32", description = "harmful and harmless training requests of the gate, each (default: ${DEFAULT-VALUE})")
    int gateTrain;
    @Option(names = "--fpr", defaultValue = "0.05", description = "gate threshold: target false-positive rate on harmless_val (default: ${DEFAULT-VALUE})")
    double fpr;
    @Option(names = "--benign", defaultValue = "8", description = "benign requests (harmless_test) for KL/perplexity (default: ${DEFAULT-VALUE})")
    int benign;
    @Option(names = "--benign-tokens", defaultValue = "32", description = "tokens of the original's answer appended to each benign request (default: ${DEFAULT-VALUE})")
    int benignTokens;
    @Option(names = "--two-turn", defaultValue = "8", description = "MT-Bench-style two-turn prompts judged with --judge (default: ${DEFAULT-VALUE}, at most 8)")
    int twoTurn;
    @Option(names = "--max-tokens", defaultValue = "64", description = "greedy tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens;
    @Option(names = "--system", defaultValue = RefusalEvaluation.REFERENCE_SYSTEM_PROMPT, paramLabel = "TEXT",
            description = "system prompt of every request and of the direction's pairs ('' for none; default: the reference's \"${DEFAULT-VALUE}\")")
    String system;
    @Option(names = "--seed", defaultValue = "31", description = "seed of the gate's probe (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        for (var c : new int[][] {{requests, 1}, {gateTrain, 2}, {benign, 1}, {benignTokens, 1}, {maxTokens, 1}}) {
            if (c[0] < c[1]) {
                throw new UsageException("--requests, --benign, --benign-tokens and --max-tokens must be at least 1 and --gate-train at least 2");
            }
        }
        if (twoTurn < 0 || twoTurn > 8) {
            throw new UsageException("--two-turn must be 0..8, got " + twoTurn);
        }
        if (!(fpr > 0 && fpr < 1)) {
            throw new UsageException("--fpr must be in (0, 1), got " + fpr);
        }
        var templateMap = templates == null ? JailbreakTemplates.builtIn() : JailbreakTemplates.read(templates);
        List<String> req = texts(data.resolve("advbench/harmful_behaviors.csv"), "goal", requests);
        var dir = ConceptFiles.refusalAb(direction != null ? direction : data.resolve("caa/refusal_generate_dataset.json"), false);
        if (directionPairs < 0) {
            throw new UsageException("--direction-pairs must be 0 (all) or more, got " + directionPairs);
        }
        if (directionPairs > 0 && directionPairs < dir.pairs().size()) {
            dir = new ConceptFiles.NamedPairs(dir.name(), dir.pairs().subList(0, directionPairs));
        }
        var judge = exp.judge();
        var summary = exp.summary();
        Engines.requireSupported(common.engine); // generation and activation reads run on --engine; benign KL on the CPU tape
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount())) {
            var models = exp.models(common.engine, model, par, summary);
            PromptFormat format = exp.format(common, "jsteer kts jailbreak", model, system);
            var tok = model.tokenizer();
            PromptGate gate;
            if (gateFile != null) {
                gate = PromptGate.load(gateFile);
            } else {
                int layer = gateLayer != null ? gateLayer : Math.min(model.config().nLayers() - 1, (int) Math.round(model.config().nLayers() * 5 / 32.0));
                int half = Math.max(1, gateTrain / 2);
                try (InferenceEngine deployed = models.engine(models.hasKts())) {
                    gate = PromptGate.train(models, deployed, layer,
                            ids(format, tok, texts(data.resolve("refusal_direction/harmful_train.json"), "instruction", gateTrain)),
                            ids(format, tok, texts(data.resolve("refusal_direction/harmless_train.json"), "instruction", gateTrain)),
                            ids(format, tok, texts(data.resolve("refusal_direction/harmful_val.json"), "instruction", half)),
                            ids(format, tok, texts(data.resolve("refusal_direction/harmless_val.json"), "instruction", Math.max(half, 20))),
                            fpr, seed);
                }
                System.err.printf("jsteer kts jailbreak: gate on resid_post:%d, threshold %.4f, dev FPR %.3f, dev TPR %.3f%n",
                        gate.layer(), gate.threshold(), gate.devFpr(), gate.devTpr());
            }
            List<String> benignPrompts = texts(data.resolve("refusal_direction/harmless_test.json"), "instruction", benign);
            List<List<String>> conversations = judge == null ? List.of() : twoTurnPrompts(twoTurn);
            var inputs = new JailbreakExperiment.Inputs(format, dir, req, templateMap, factor, gate, benignPrompts, benignTokens,
                    conversations, judge, maxTokens);
            // the first bar step comes after the direction and the benign answers, which can take a while at full width
            System.err.printf("jsteer kts jailbreak: reading the direction from %d pairs on %s, then %d benign answers%n",
                    dir.pairs().size(), models.hasKts() ? "the original and the KTS model" : "the original model", benignPrompts.size());
            JailbreakExperiment.Report report;
            long steps = (long) JailbreakExperiment.ARMS.size() * (templateMap.size() + 1);
            try (ProgressBar bar = KtsTrainCommand.bar("jailbreak", steps)) {
                report = JailbreakExperiment.run(model.name(), models, inputs, msg -> { bar.setExtraMessage(" " + msg); bar.step(); });
            }
            var tables = JailbreakExperiment.tables(report);
            Path base = exp.base(Path.of("."), "kts-jailbreak");
            List<String> notes = new ArrayList<>(report.notes());
            notes.add(0, "Requests: " + report.promptFormat() + "; direction: " + report.direction() + " (" + report.directionPairs()
                    + " pairs, first = compliant answer), c = " + String.format("%.4f", report.multiplier()) + " at blocks " + report.blocks() + ".");
            notes.add("Gate: " + report.gate() + ".");
            ExperimentReport.write(base, report, "KTS jailbreak evaluation: " + model.name(), notes, tables);
            System.out.print(exp.json ? ExperimentReport.JSON.writeValueAsString(report) + "\n" : String.join("\n", notes) + "\n"
                    + ExperimentReport.text(tables) + "report: " + base + ".json, " + base + ".html\n");
        }
        return 0;
    }

    private static List<String> texts(Path file, String field, int n) {
        List<String> out = Datasets.prompts(file, field, "x").items().stream().limit(n).map(LabelledPrompt::text).toList();
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + ": no prompts");
        }
        return out;
    }

    private static List<int[]> ids(PromptFormat f, io.jsteer.model.tokenizer.Tokenizer tok, List<String> texts) {
        return texts.stream().map(t -> f.request(tok, t)).toList();
    }

    /** The built-in MT-Bench-style two-turn prompts (our own, one per MT-Bench category). */
    static List<List<String>> twoTurnPrompts(int n) throws java.io.IOException {
        try (var in = io.jsteer.steering.kts.experiments.JudgeClient.class.getResourceAsStream("two_turn_prompts.json")) {
            JsonNode root = new ObjectMapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            List<List<String>> out = new ArrayList<>();
            for (JsonNode q : root) {
                if (out.size() == n) {
                    break;
                }
                out.add(List.of(q.get("turns").get(0).asText(), q.get("turns").get(1).asText()));
            }
            return out;
        }
    }
}
