package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.mat.MatAblation;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.mat.TrainTokens;
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

/** The paper's Table 3 (loss terms, normalisation) and Table 4 (token selection) in one run. */
@Command(name = "ablate", mixinStandardHelpOptions = true,
        description = "Train every Table 3 variant (each loss term alone and left out, no norm preservation) on the same features, "
                + "score each and the full module's Table 4 token selections (random, last, all, gated) on the test split "
                + "(stdout: one row per variant; MC2 for TruthfulQA, argmax accuracy for the others, as the paper reports).",
        footer = {"", "Example:",
                "  jsteer mat ablate --model stories260K --tasks truthfulqa,bbq,toxigen --train-items 150 --eval-items 100 \\",
                "      --epochs 100 --train-token-rows last,all --cache runs/ablate"})
final class MatAblateCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    MatDataOptions data;

    @Mixin
    MatTrainOptions training;

    @Option(names = "--eval-items", paramLabel = "N", description = "at most N questions per task scored (default: all)")
    Integer evalItems;

    @Option(names = "--split", paramLabel = "test|dev", defaultValue = "test", description = "split scored (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--train-token-rows", paramLabel = "LIST", split = ",",
            description = "also train with these --tokens choices (e.g. last,all), each on its own features, and add a row each")
    List<String> trainTokenRows;

    @Option(names = "--cache", paramLabel = "STEM",
            description = "feature caches STEM.TOKENS.features.safetensors (reused when model, site, data and seed match)")
    Path cache;

    @Option(names = "--json", description = "print the rows as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        int cap = evalItems == null ? Integer.MAX_VALUE : MatDataOptions.positive("--eval-items", evalItems);
        if (!List.of("test", "dev").contains(split)) {
            throw new UsageException("--split must be test or dev, got '" + split + "'");
        }
        List<TrainTokens> extra = new ArrayList<>();
        if (trainTokenRows != null) {
            for (String t : trainTokenRows) {
                extra.add(TrainTokens.parse(t.trim()));
            }
        }
        List<MatAblation.Row> rows;
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, MatDataOptions.positive("--ctx-size", training.ctxSize), par)) {
            var request = training.request(data.tasks(List.of("truthfulqa", "bbq", "toxigen")), data.dataDir(), model.config().nLayers(),
                    null);
            request = request.with(request.tokens(), cachePath(request.tokens()));
            rows = MatAblation.run(model, engine, request, cap, split, extra, this::cachePath, System.err);
        }
        print(rows);
        return 0;
    }

    private Path cachePath(TrainTokens t) {
        return cache == null ? null : cache.resolveSibling(cache.getFileName() + "." + t.label() + ".features.safetensors");
    }

    private void print(List<MatAblation.Row> rows) throws Exception {
        PrintStream p = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("split", split);
            m.put("rows", rows);
            p.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return;
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-13s %-22s", "table", "variant"));
        for (MatEvaluator.Score s : rows.getFirst().scores()) {
            head.append(String.format(Locale.ROOT, " %12s", s.task()));
        }
        p.println(head.append("   loss after"));
        for (MatAblation.Row r : rows) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-13s %-22s", r.table(), r.variant()));
            for (MatEvaluator.Score s : r.scores()) {
                // the paper's metrics: MC2 for TruthfulQA, multiple-choice accuracy for BBQ and ToxiGen
                double v = s.task().equals("truthfulqa") ? s.mc2() : s.accuracy();
                line.append(String.format(Locale.ROOT, " %11.2f%%", 100 * v));
            }
            if (r.lossAfter() != null) {
                line.append(String.format(Locale.ROOT, "   %.4f", r.lossAfter().total()));
            }
            p.println(line);
        }
        p.printf(Locale.ROOT, "(%s split, %d items per task; truthfulqa: MC2, other tasks: argmax accuracy; table 4 applies the full "
                + "module ungated at random / last-question / all tokens against its learned gates)%n", split,
                rows.getFirst().scores().getFirst().items());
    }
}
