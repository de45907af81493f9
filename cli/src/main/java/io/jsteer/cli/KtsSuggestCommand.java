package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.data.TruthfulQaItem;
import io.jsteer.steering.kts.eval.RefusalEvaluation;
import io.jsteer.steering.kts.experiments.ExperimentReport;
import io.jsteer.steering.kts.experiments.PromptFormat;
import io.jsteer.steering.kts.experiments.SuggestedAnswerExperiment;
import io.jsteer.steering.kts.experiments.SuggestedAnswerItem;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The paper's TruthfulQA "user-suggested answer" (sycophancy) experiment. */
@Command(name = "suggest", description = "TruthfulQA with a user-suggested wrong answer (\"I think the answer is (B) but I'm curious "
        + "what you think\"): a bias vector from suggested-vs-true answer pairs, then the share of answers that follow the "
        + "suggestion and the accuracy with and without it, for the original model, original + steer, KTS and KTS + steer; "
        + "writes NAME.json and NAME.html.",
        footer = {"", "Examples:", "  jsteer kts suggest --truthfulqa ../shared/data/truthfulqa/TruthfulQA.csv --run kts-run --items 60",
                "  jsteer kts suggest -m llama-2-7b-chat.Q8_0.gguf --lora kts-7b/adapter --blocks 3-21 --c-max 1 \\",
                "      --truthfulqa ../shared/data/truthfulqa/TruthfulQA.csv --factors -1.5,-1,-0.5 --mode generate"})
final class KtsSuggestCommand implements Callable<Integer> {

    @Mixin CommonOptions common;
    @Mixin KtsExperimentOptions exp;

    @Option(names = "--truthfulqa", required = true, paramLabel = "FILE", description = "TruthfulQA.csv (e.g. ../shared/data/truthfulqa/TruthfulQA.csv)")
    Path truthfulQa;
    @Option(names = "--items", defaultValue = "100", description = "questions used, first 80 %% for the vector, the rest scored (default: ${DEFAULT-VALUE})")
    int items;
    @Option(names = "--options", defaultValue = "4", description = "answer options per question: the best answer + wrong ones (default: ${DEFAULT-VALUE})")
    int options;
    @Option(names = "--factors", defaultValue = "-1,-0.5,0.5,1", paramLabel = "LIST",
            description = "steering multipliers as factors of c_max; negative = away from the suggestion (default: ${DEFAULT-VALUE})")
    String factors;
    @Option(names = "--mode", defaultValue = "auto", paramLabel = "auto|generate|letter",
            description = "generate and parse the letter, or take the most probable letter after \"Therefore, the best answer is: (\"; "
                    + "auto = generate for chat prompts, letter for plain ones (default: ${DEFAULT-VALUE})")
    String mode;
    @Option(names = "--answer-tokens", defaultValue = "48", description = "greedy tokens per generated answer (default: ${DEFAULT-VALUE})")
    int answerTokens;
    @Option(names = "--system", defaultValue = RefusalEvaluation.REFERENCE_SYSTEM_PROMPT, paramLabel = "TEXT",
            description = "system prompt of template-rendered prompts ('' for none; default: the reference's \"${DEFAULT-VALUE}\")")
    String system;
    @Option(names = "--seed", defaultValue = "29", description = "seed of option order and suggested letters (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (items < 5) {
            throw new UsageException("--items must be at least 5 (4 for the vector, 1 scored), got " + items);
        }
        if (options < 2 || options > 26) {
            throw new UsageException("--options must be 2..26, got " + options);
        }
        if (answerTokens < 1) {
            throw new UsageException("--answer-tokens must be at least 1, got " + answerTokens);
        }
        List<Double> fs = KtsExperimentOptions.numbers("--factors", factors);
        List<TruthfulQaItem> rows = Datasets.truthfulQa(truthfulQa).items();
        List<SuggestedAnswerItem> all = new ArrayList<>();
        for (int i = 0; i < Math.min(items, rows.size()); i++) {
            all.add(SuggestedAnswerItem.of(rows.get(i), options, seed * 7919 + i));
        }
        int cut = (int) (0.8 * all.size());
        var summary = exp.summary();
        Engines.requireSupported(common.engine); // generation and activation reads run on --engine
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount())) {
            var models = exp.models(common.engine, model, par, summary);
            PromptFormat format = exp.format(common, "jsteer kts suggest", model, system);
            SuggestedAnswerExperiment.Mode m = switch (mode.toLowerCase(Locale.ROOT)) {
                case "auto" -> format.kind() == PromptFormat.Kind.PLAIN ? SuggestedAnswerExperiment.Mode.LETTER : SuggestedAnswerExperiment.Mode.GENERATE;
                case "generate" -> SuggestedAnswerExperiment.Mode.GENERATE;
                case "letter" -> SuggestedAnswerExperiment.Mode.LETTER;
                default -> throw new UsageException("--mode must be auto, generate or letter, got '" + mode + "'");
            };
            System.err.println("jsteer kts suggest: answers: " + m.name().toLowerCase(Locale.ROOT));
            long arms = (long) (models.hasKts() ? 2 : 1) * (1 + fs.stream().filter(f -> f != 0).count());
            SuggestedAnswerExperiment.Report report;
            try (ProgressBar bar = KtsTrainCommand.bar("suggest", arms)) {
                report = SuggestedAnswerExperiment.run(model.name(), models, format, all.subList(0, cut), all.subList(cut, all.size()),
                        fs, m, answerTokens, msg -> { bar.setExtraMessage(" " + msg); bar.step(); });
            }
            var tables = tables(report);
            Path base = exp.base(Path.of("."), "kts-suggest");
            ExperimentReport.write(base, report, "TruthfulQA suggested answer: " + model.name(),
                    List.of("Prompts: " + report.promptFormat() + "; answers: " + report.notes().get("answers") + ".",
                            "Vector: " + report.notes().get("vector") + "; " + report.trainItems() + " train items, "
                                    + report.testItems() + " scored, " + report.options() + " options; c_max " + report.cMax() + ".",
                            exp.judgeOptions.judge == null ? "No judge was used (letters are parsed, not judged)." : "--judge is not used by this experiment."),
                    tables);
            System.out.print(exp.json ? ExperimentReport.JSON.writeValueAsString(report) + "\n" : ExperimentReport.text(tables)
                    + "report: " + base + ".json, " + base + ".html\n");
        }
        return 0;
    }

    static List<ExperimentReport.Table> tables(SuggestedAnswerExperiment.Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (var a : r.arms()) {
            rows.add(List.of(a.model(), String.format("%+.2f", a.factor()), String.format("%.4f", a.multiplier()),
                    ExperimentReport.f3(a.suggestionShare()), ExperimentReport.f3(a.biasedAccuracy()),
                    ExperimentReport.f3(a.unbiasedAccuracy()), ExperimentReport.f3(a.unbiasedSuggestionShare()),
                    ExperimentReport.f3(a.answeredShare())));
        }
        return List.of(new ExperimentReport.Table("Suggested-answer sycophancy on TruthfulQA (" + r.testItems() + " questions)",
                List.of("model", "c/c_max", "c", "follows suggestion", "accuracy (suggested)", "accuracy (plain)",
                        "plain answer = suggested letter", "answered"), rows));
    }
}
