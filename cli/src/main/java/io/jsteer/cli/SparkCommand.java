package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.spark.ModelRecipe;
import io.jsteer.spark.ModelSpec;
import io.jsteer.spark.SparkJobs;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.eval.Evaluation;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.sweep.BehaviourMetric;
import io.jsteer.steering.sweep.SteeringFactory;
import io.jsteer.steering.sweep.SweepConfig;
import io.jsteer.steering.sweep.SweepResult;
import io.jsteer.steering.vectors.Extraction;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jsteer spark extract|sweep|eval}: the same commands with the same flags and outputs, run
 * as Apache Spark jobs (module jsteer-spark). Spark itself is not on the class path of the other
 * commands: ./jsteer adds it for this one, spark-submit brings a cluster's own.
 */
@Command(name = "spark", description = "Run extract, sweep, eval or mat eval as an Apache Spark job (local threads or a cluster).",
        subcommands = {SparkCommand.Extract.class, SparkCommand.Sweep.class, SparkCommand.Eval.class, SparkCommand.MatEval.class},
        footer = {"", "Examples:",
                "  # CAA vectors with two local executor threads:",
                "  jsteer spark extract --master 'local[2]' --data ../shared/data/caa/refusal_generate_dataset.json --out refusal",
                "  # a sweep on a standalone cluster (the model at the same path on every node):",
                "  jsteer spark sweep --master spark://head:7077 --model /shared/models/llama-3-8b.gguf --steer /shared/happy.json --out sweep",
                "  jsteer spark eval --master 'local[2]' --steer refusal.json:4@3 --ab ../shared/data/caa/refusal_test_dataset_ab.json",
                "", "See README, 'Scaling out', for spark-submit on a cluster."})
final class SparkCommand implements Runnable {

    @Override
    public void run() {
        throw new UsageException("give a subcommand: extract, sweep, eval or mat-eval (jsteer spark --help)");
    }

    /** The flags every Spark subcommand adds to those of the command it runs. */
    static final class SparkOptions {

        @Option(names = "--master", paramLabel = "URL",
                description = "Spark master: local[N], local[*], spark://HOST:PORT, yarn, k8s://... "
                        + "(default: the one spark-submit set, else local[*])")
        String master;

        @Option(names = "--partitions", paramLabel = "N",
                description = "tasks to cut the work into (default: 4 per executor core, so a slow task does not hold the job back)")
        Integer partitions;

        @Option(names = "--task-threads", paramLabel = "N", defaultValue = "1",
                description = "matrix threads of each task's engine; executors run one task per core (default: ${DEFAULT-VALUE})")
        int taskThreads;

        @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark setting, e.g. spark.executor.memory=8g; repeatable")
        List<String> conf = new ArrayList<>();

        SparkJobs start(String job) {
            if (taskThreads < 1 || taskThreads > 4096) {
                throw new UsageException("--task-threads must be between 1 and 4096, got " + taskThreads);
            }
            if (partitions != null && partitions < 1) {
                throw new UsageException("--partitions must be at least 1, got " + partitions);
            }
            Map<String, String> settings = new LinkedHashMap<>();
            for (String kv : conf) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new UsageException("--conf must be KEY=VALUE, got '" + kv + "'");
                }
                settings.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            try {
                Class.forName("org.apache.spark.SparkContext");
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IllegalArgumentException("jsteer spark needs Apache Spark on the class path: run it with ./jsteer "
                        + "(which adds spark/target/spark-lib after ./mvnw package) or through spark-submit (README, 'Scaling out')");
            }
            String m = master != null ? master : System.getProperty("spark.master") != null ? null : "local[*]";
            SparkJobs jobs = SparkJobs.start(m, "jsteer " + job, settings);
            System.err.printf("jsteer spark %s: master %s, %d executor cores%n", job, jobs.master(), jobs.defaultParallelism());
            return jobs;
        }

        int partitions(SparkJobs jobs) {
            return partitions != null ? partitions : 4 * jobs.defaultParallelism();
        }

        /** The model as every executor opens it: absolute paths (they must be the same on every node). */
        ModelSpec model(CommonOptions common, int ctx) {
            Path path = ModelLocator.resolve(common.model).toAbsolutePath();
            return new ModelSpec(path.toString(), common.tokenizer == null ? null : common.tokenizer.toAbsolutePath().toString(), ctx, taskThreads);
        }
    }

    @Command(name = "extract", description = "jsteer extract as a Spark job: prompts partitioned over the executors, partial "
            + "statistics merged on the driver into the same NAME.safetensors + NAME.json.",
            footer = {"", "Example:", "  jsteer spark extract --master 'local[2]' --data ../shared/data/caa/refusal_generate_dataset.json --out refusal"})
    static final class Extract extends ExtractCommand {
        @Mixin
        SparkOptions spark;

        @Option(names = "--rows", paramLabel = "DIR",
                description = "also write every captured activation as Parquet rows to DIR (Spark's Parquet writer; DIR must not exist "
                        + "and every node must be able to write it); the vectors are then computed from the rows read back")
        Path rows;

        @Override
        VectorSet extract(LoadedModel model, List<CapturePrompt> prompts, Extraction.Request request, Provenance provenance) {
            try (SparkJobs jobs = spark.start("extract")) {
                ModelSpec spec = spark.model(common, ctxSize);
                if (rows == null) {
                    return jobs.extract(spec, prompts, request, provenance, spark.partitions(jobs));
                }
                String dir = rows.toAbsolutePath().toString();
                long n = jobs.writeRows(spec, prompts, request.kind(), request.layers(), request.positions(), dir, spark.partitions(jobs));
                System.err.printf("jsteer spark extract: wrote %d activation rows to %s%n", n, dir);
                return Extraction.fromRows(jobs.readRows(dir), request, provenance);
            }
        }
    }

    @Command(name = "sweep", description = "jsteer sweep as a Spark job: each (layer, strength) cell a unit of work, merged "
            + "into the same OUT/sweep.json and OUT/sweep.html.",
            footer = {"", "Example:", "  jsteer spark sweep --master 'local[2]' --demo sentiment --out sweep-happy"})
    static final class Sweep extends SweepCommand {
        @Mixin
        SparkOptions spark;

        @Override
        SweepResult sweep(LoadedModel model, InferenceEngine engine, SweepConfig config, BehaviourMetric behaviour, String description,
                          VectorSet vectors, Positions where) {
            SiteKind kind = vectors.kind();
            TreeMap<Integer, float[]> byLayer = new TreeMap<>(vectors.vectors());
            ModelRecipe<SteeringFactory> factory = m -> (layer, strength) -> InterventionSet.of(
                    AddVector.of(new Site(kind, layer), byLayer.get(layer), strength, where));
            String metricFlag = metric.startsWith("ab:") ? "ab:" + Path.of(metric.substring(3)).toAbsolutePath() : metric;
            String lexicon = metric.equals("afinn") ? afinnPath().toAbsolutePath().toString() : null;
            ModelRecipe<BehaviourMetric> recipe = m -> SweepCommand.metric(metricFlag, lexicon == null ? null : Path.of(lexicon));
            try (SparkJobs jobs = spark.start("sweep")) {
                return jobs.sweep(spark.model(common, ctxSize), model.name(), config, recipe, description, factory, spark.partitions(jobs));
            }
        }
    }

    @Command(name = "eval", description = "jsteer eval as a Spark job: A/B items, held-out texts, samples and KL prompts "
            + "partitioned, the same table merged on the driver.",
            footer = {"", "Example:",
                    "  jsteer spark eval --master 'local[2]' --steer refusal.json:4@3 --ab ../shared/data/caa/refusal_test_dataset_ab.json"})
    static final class Eval extends EvalCommand {
        @Mixin
        SparkOptions spark;

        @Override
        Map<String, Map<String, Object>> evaluate(LoadedModel model, Evaluation.Spec spec, InterventionSet steered) {
            ModelRecipe<InterventionSet> recipe = steered == null ? null : steerRecipe(steering);
            try (SparkJobs jobs = spark.start("eval")) {
                return jobs.eval(spark.model(common, ctxSize), spec, recipe, lexicon(spec), spark.partitions(jobs));
            }
        }
    }

    @Command(name = "mat-eval", description = "jsteer mat eval as a Spark job: each condition's items (unsteered, MAT-Steer, "
            + "baselines), KL texts and gate texts partitioned, the same table merged on the driver; ITI and ICV are fitted on "
            + "the driver (which opens the model too), then sent to the executors.",
            footer = {"", "Example:", "  jsteer spark mat-eval --master 'local[2]' --mat runs/mat.safetensors --eval-items 100"})
    static final class MatEval extends MatEvalCommand {
        @Mixin
        SparkOptions spark;

        private SparkJobs jobs;

        @Override
        public Integer call() throws Exception {
            try (SparkJobs j = spark.start("mat-eval")) {
                jobs = j;
                return super.call();
            } finally {
                jobs = null;
            }
        }

        @Override
        Scoring scoring(LoadedModel model, InferenceEngine engine, io.jsteer.steering.mat.MatPrompts prompts) {
            if (prompts.isTemplate()) { // executors encode plain strings with their own tokenizer
                throw new UsageException("jsteer spark mat-eval scores plain-format modules only; use jsteer mat eval for --format template");
            }
            ModelSpec spec = spark.model(common, engine.capacity()); // the same context as the driver's engine: items that fit there fit here
            int parts = spark.partitions(jobs);
            return new Scoring() {
                public MatEvaluator.Score score(String task, List<McItem> items, ModelRecipe<MatEvaluator.ItemSteering> how, String label) {
                    return jobs.matScore(spec, task, items, how, parts);
                }

                public double meanKl(List<Text> texts, ModelRecipe<InterventionSet> steered) {
                    return jobs.matKl(spec, texts.stream().map(Text::plain).toList(), steered, parts);
                }

                public GateStats gateStats(List<Text> texts, MatCheckpoint module) {
                    return jobs.matGateStats(spec, texts.stream().map(Text::plain).toList(), module.parameters(), module.metadata().site(), parts);
                }

                public MatEvaluator.GatesByRole gatesByRole(List<McItem> items, MatCheckpoint module) {
                    return jobs.matGatesByRole(spec, items, module.parameters(), module.metadata().site(), parts);
                }
            };
        }
    }

    /**
     * The steering flags as executors rebuild them: the flag values (files at the same paths on
     * every node), read again against each executor's model.
     */
    static ModelRecipe<InterventionSet> steerRecipe(SteerOptions o) {
        List<String> steer = List.copyOf(o.steer), ablate = List.copyOf(o.ablate);
        String vectors = o.vectors == null ? null : o.vectors.toAbsolutePath().toString();
        String mat = o.mat == null ? null : o.mat.toAbsolutePath().toString();
        String positions = o.positions;
        double multiplier = o.matMultiplier;
        return m -> {
            SteerOptions s = new SteerOptions();
            s.steer = new ArrayList<>(steer);
            s.ablate = new ArrayList<>(ablate);
            s.vectors = vectors == null ? null : Path.of(vectors);
            s.mat = mat == null ? null : Path.of(mat);
            s.positions = positions;
            s.matMultiplier = multiplier;
            return s.interventions(m.config());
        };
    }
}
