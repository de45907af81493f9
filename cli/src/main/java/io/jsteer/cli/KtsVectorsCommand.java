package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.steering.kts.experiments.ConceptFiles;
import io.jsteer.steering.kts.experiments.ConceptVectorsExperiment;
import io.jsteer.steering.kts.experiments.ExperimentReport;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The KTS concept pool and target vectors from files in the reference's layout, computed on the original (and KTS) model. */
@Command(name = "vectors", description = "Read the KTS concept pool and target from files in the reference code's layout "
        + "(concept_lists.json + <prefix>_<concept>_generated_concept_sentences.jsonl, refusal A/B items), render the contrast "
        + "prompts (chat template, reference [INST] string or plain) and report each vector's norm, its cosine with the target "
        + "and how far KTS moved it; writes NAME.json and NAME.html.",
        footer = {"", "Examples:", "  jsteer kts vectors --out vectors          # built-in stories260K files (the demo's 20 concepts, happy/sad)",
                "  jsteer kts vectors -m llama-2-7b-chat.Q8_0.gguf --concepts kl-then-steer/datasets/refusal \\",
                "      --refusal-ab ../shared/data/caa/refusal_generate_dataset.json --target ../shared/data/caa/refusal_test_dataset_ab.json --run kts-run"})
final class KtsVectorsCommand implements Callable<Integer> {

    @Mixin CommonOptions common;
    @Mixin KtsExperimentOptions exp;
    @Mixin KtsPoolOptions poolOptions;

    @Option(names = "--split", defaultValue = "train", paramLabel = "train|test", description = "sentences 0-159 or 160-199 of each concept (default: ${DEFAULT-VALUE})")
    String split;
    @Option(names = "--seed", defaultValue = "19", description = "seed of the neutral-sentence shuffle (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (!split.equals("train") && !split.equals("test")) {
            throw new UsageException("--split must be train or test, got '" + split + "'");
        }
        boolean test = split.equals("test");
        List<ConceptFiles.NamedPairs> pool = poolOptions.pool(test, seed);
        ConceptFiles.NamedPairs t = poolOptions.target(test);
        var summary = exp.summary();
        Engines.requireSupported(common.engine); // generation and activation reads run on --engine
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount())) {
            var models = exp.models(common.engine, model, par, summary);
            var format = exp.format(common, "jsteer kts vectors", model, poolOptions.system);
            ConceptVectorsExperiment.Report report;
            try (ProgressBar bar = KtsTrainCommand.bar("vectors", pool.size() + 1L)) {
                report = ConceptVectorsExperiment.run(model.name(), poolOptions.source(), models,
                        format, pool, t, msg -> { bar.setExtraMessage(" " + msg); bar.step(); });
            }
            var tables = ConceptVectorsExperiment.tables(report);
            Path base = exp.base(Path.of("."), "kts-vectors");
            ExperimentReport.write(base, report, "KTS pool and target vectors: " + model.name(),
                    List.of("Source: " + report.source() + "; prompts: " + report.promptFormat() + ".",
                            "Target: " + report.target() + " (held out of the pool)."), tables);
            System.out.print(exp.json ? ExperimentReport.JSON.writeValueAsString(report) + "\n" : ExperimentReport.text(tables)
                    + "report: " + base + ".json, " + base + ".html\n");
        }
        return 0;
    }
}
