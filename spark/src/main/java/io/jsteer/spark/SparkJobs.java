package io.jsteer.spark;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.ActivationSink;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.RowInfo;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.MeanAccumulator;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.eval.AfinnLexicon;
import io.jsteer.steering.eval.Evaluation;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatParameters;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.mat.McScorer;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.sweep.BehaviourMetric;
import io.jsteer.steering.sweep.SteeringFactory;
import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepConfig;
import io.jsteer.steering.sweep.SweepResult;
import io.jsteer.steering.sweep.SweepRunner;
import io.jsteer.steering.vectors.Extraction;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import java.io.PrintStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Extraction, sweeps and evaluations as Spark jobs: the same work as the single-machine path
 * (steering's {@link Extraction}, {@link SweepRunner}, {@link Evaluation}, {@link MatEvaluator}),
 * cut into tasks.
 * Every executor opens the model once ({@link ExecutorModels}, memory-mapped from a path all
 * nodes can read); each task makes its own engine over those weights. Only small things travel:
 * token ids and settings to the executors; running sums, scatters, captured rows, cells or
 * per-item numbers back to the driver (or activation rows to Parquet files), which merges them in the order of the single-machine loop, so the results
 * equal its results: sums up to the order of double additions, sampled texts and their metrics
 * exactly, figures read from logits up to the engine's own ~1e-7 difference between interpreted
 * and JIT-compiled kernels (which two single-machine runs show as well).
 *
 * <p>No Spark type appears in the public methods except {@link #on}, so callers (the cli) compile
 * without Spark on their class path.
 */
public final class SparkJobs implements AutoCloseable {

    /** The JVM flags jsteer needs on every executor (the Vector API; native access for memory mapping). */
    public static final String EXECUTOR_FLAGS = "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss4m";

    private final JavaSparkContext sc;
    private final boolean owned;
    private final PrintStream progress;

    private SparkJobs(JavaSparkContext sc, boolean owned, PrintStream progress) {
        this.sc = sc;
        this.owned = owned;
        this.progress = progress;
    }

    /**
     * Starts a Spark context: {@code master} like {@code local[2]} or {@code spark://host:7077};
     * null takes the master that spark-submit set. {@code conf} entries are Spark settings
     * (e.g. {@code spark.executor.memory}). Executors get {@link #EXECUTOR_FLAGS} unless
     * {@code spark.executor.extraJavaOptions} is given.
     */
    public static SparkJobs start(String master, String appName, Map<String, String> conf) {
        SparkConf c = new SparkConf().setAppName(appName);
        if (master != null) {
            c.setMaster(master);
        }
        if (!c.contains("spark.ui.showConsoleProgress")) {
            c.set("spark.ui.showConsoleProgress", "false"); // DriverProgress prints ours, with an ETA
        }
        conf.forEach(c::set);
        if (c.get("spark.master", "").startsWith("local") && !c.contains("spark.driver.host")) {
            // one JVM: keep the driver's ports on the loopback interface, not on the machine's network address
            c.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        }
        if (!c.contains("spark.executor.extraJavaOptions")) {
            c.set("spark.executor.extraJavaOptions", EXECUTOR_FLAGS);
        }
        return new SparkJobs(new JavaSparkContext(c), true, System.err);
    }

    /** Jobs on a context the caller owns (and stops). */
    public static SparkJobs on(JavaSparkContext sc) {
        return on(sc, System.err);
    }

    /** Jobs on a context the caller owns, with their progress lines on {@code progress}. */
    public static SparkJobs on(JavaSparkContext sc, PrintStream progress) {
        return new SparkJobs(sc, false, progress);
    }

    /** The cluster's default number of partitions (total executor cores; N in local[N]). */
    public int defaultParallelism() {
        return sc.defaultParallelism();
    }

    public String master() {
        return sc.master();
    }

    @Override
    public void close() {
        if (owned) {
            sc.stop();
        }
    }

    // ---------------------------------------------------------------- extraction

    /** A prompt as it travels to an executor. */
    record PromptTask(int index, int[] tokens, int label, int group, int at) implements Serializable {
        CapturePrompt prompt() {
            return new CapturePrompt(tokens, label, group, at);
        }
    }

    /** One captured row: the prompt's index in the whole list, the token position, a vector per site [sites][dim]. */
    record CapturedRow(int prompt, int position, float[][] vectors) implements Serializable {}

    /**
     * {@link Extraction#extract} over the cluster: prompts partitioned, each task sends back
     * mergeable statistics: mean difference and ablation the running sums
     * ({@link MeanAccumulator.Partial}), PCA the streamed scatter of its pairs' differences
     * ({@link PcaSums}; the two prompts of a pair go to the same task), probes their captured rows
     * (the probe trains full-batch on all rows), which the driver keeps in memory in prompt order
     * ({@code request.storeDir()} is not used) and hands to the same method code.
     *
     * @param partitions tasks to cut the prompts into (at most one per prompt)
     */
    public VectorSet extract(ModelSpec model, List<CapturePrompt> prompts, Extraction.Request request, Provenance provenance,
                             int partitions) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("extraction needs at least one prompt");
        }
        List<PromptTask> tasks = promptTasks(prompts);
        SiteKind kind = request.kind();
        List<Integer> layers = request.layers();
        PositionMode mode = request.positions();
        int slices = slices(partitions, tasks.size());
        List<Site> sites = Extraction.sites(request);
        int dim = ExecutorModels.model(model).config().dim();
        return switch (request.method()) {
            case MEAN_DIFFERENCE, ABLATION -> {
                List<MeanAccumulator.Partial> partials = run("extract", () -> sc.parallelize(tasks, slices)
                        .mapPartitions((Iterator<PromptTask> it) -> List.of(sums(model, kind, layers, mode, it)).iterator())
                        .collect());
                MeanAccumulator acc = new MeanAccumulator(sites, dim, 2);
                partials.forEach(acc::merge);
                yield Extraction.fromSums(acc, request, provenance);
            }
            case PCA -> {
                // a pair's two prompts in one task, so that each task pairs its own rows
                List<List<PromptTask>> units = byGroup(tasks);
                List<PcaSums.Partial> partials = run("extract", () -> sc.parallelize(units, slices(partitions, units.size()))
                        .mapPartitions((Iterator<List<PromptTask>> it) -> List.of(pcaSums(model, kind, layers, mode, it)).iterator())
                        .collect());
                PcaSums merged = new PcaSums(sites, dim, mode);
                partials.forEach(merged::merge);
                yield Extraction.fromPca(merged.pca(request.centring(), request.magnitude()), merged.meanNorms(), request, provenance);
            }
            case PROBE -> {
                List<CapturedRow> rows = run("extract", () -> sc.parallelize(tasks, slices)
                        .mapPartitions((Iterator<PromptTask> it) -> rows(model, kind, layers, mode, it).iterator())
                        .collect());
                InMemoryActivations mem = new InMemoryActivations(sites, dim);
                for (CapturedRow row : rows) {
                    for (int k = 0; k < sites.size(); k++) {
                        mem.accept(row.prompt(), prompts.get(row.prompt()), row.position(), sites.get(k), row.vectors()[k]);
                    }
                }
                yield Extraction.fromRows(mem, request, provenance);
            }
        };
    }

    private static List<Site> sites(SiteKind kind, List<Integer> layers) {
        return layers.stream().map(l -> new Site(kind, l)).toList();
    }

    /** Executor side: the running sums of one partition's prompts. */
    private static MeanAccumulator.Partial sums(ModelSpec model, SiteKind kind, List<Integer> layers, PositionMode mode,
                                                Iterator<PromptTask> it) {
        List<PromptTask> mine = drain(it);
        List<Site> sites = sites(kind, layers);
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            MeanAccumulator acc = new MeanAccumulator(sites, te.model().config().dim(), 2);
            new ActivationCapture(te.engine(), sites, mode).run(mine.stream().map(PromptTask::prompt).toList(), acc, null, false);
            return acc.partial();
        }
    }

    /** Executor side: one partition's PCA statistics (its units are whole pairs). */
    private static PcaSums.Partial pcaSums(ModelSpec model, SiteKind kind, List<Integer> layers, PositionMode mode,
                                           Iterator<List<PromptTask>> it) {
        List<PromptTask> mine = new ArrayList<>();
        it.forEachRemaining(mine::addAll);
        mine.sort(java.util.Comparator.comparingInt(PromptTask::index));
        List<Site> sites = sites(kind, layers);
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            PcaSums sums = new PcaSums(sites, te.model().config().dim(), mode);
            new ActivationCapture(te.engine(), sites, mode).run(mine.stream().map(PromptTask::prompt).toList(), sums, null, false);
            return sums.partial();
        }
    }

    /** The prompts as units of work that keep each group (pair) whole, in order of first appearance; ungrouped prompts alone. */
    private static List<List<PromptTask>> byGroup(List<PromptTask> tasks) {
        Map<Integer, List<PromptTask>> groups = new LinkedHashMap<>();
        List<List<PromptTask>> units = new ArrayList<>();
        for (PromptTask t : tasks) {
            if (t.group() < 0) {
                units.add(List.of(t));
            } else {
                groups.computeIfAbsent(t.group(), g -> {
                    List<PromptTask> unit = new ArrayList<>();
                    units.add(unit);
                    return unit;
                }).add(t);
            }
        }
        return units;
    }

    /** Executor side: every captured row of one partition's prompts, numbered by the whole list. */
    private static List<CapturedRow> rows(ModelSpec model, SiteKind kind, List<Integer> layers, PositionMode mode,
                                          Iterator<PromptTask> it) {
        List<PromptTask> mine = drain(it);
        List<Site> sites = sites(kind, layers);
        Map<Site, Integer> siteIndex = new java.util.HashMap<>();
        for (int k = 0; k < sites.size(); k++) {
            siteIndex.put(sites.get(k), k);
        }
        // (prompt, position) → [site][dim], in the order the capture first reaches each row
        Map<Long, CapturedRow> rows = new LinkedHashMap<>();
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            int dim = te.model().config().dim();
            ActivationSink sink = (prompt, p, position, site, x) -> {
                int global = mine.get(prompt).index();
                CapturedRow row = rows.computeIfAbsent(((long) global << 32) | (position & 0xffffffffL),
                        key -> new CapturedRow(global, position, new float[sites.size()][]));
                row.vectors()[siteIndex.get(site)] = java.util.Arrays.copyOf(x, dim);
            };
            new ActivationCapture(te.engine(), sites, mode).run(mine.stream().map(PromptTask::prompt).toList(), sink, null, false);
        }
        return new ArrayList<>(rows.values());
    }

    // ---------------------------------------------------------------- activation rows as Parquet

    /**
     * Captures the prompts' activations on the executors and writes them with Spark's Parquet
     * writer to {@code dir} (a directory every node can write, which must not exist yet; Spark's
     * output committer makes the result appear whole, with a {@code _SUCCESS} marker), one row
     * per (prompt, position, site) as {@link ActivationRows} describes.
     *
     * @return the rows written
     */
    public long writeRows(ModelSpec model, List<CapturePrompt> prompts, SiteKind kind, List<Integer> layers, PositionMode mode, String dir,
                          int partitions) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("activation rows need at least one prompt");
        }
        List<PromptTask> tasks = promptTasks(prompts);
        SparkSession session = session();
        return run("extract rows", () -> {
            JavaRDD<Row> rows = sc.parallelize(tasks, slices(partitions, tasks.size()))
                    .mapPartitions((Iterator<PromptTask> it) -> parquetRows(model, kind, layers, mode, it).iterator());
            Dataset<Row> frame = session.createDataFrame(rows, ActivationRows.SCHEMA);
            frame.write().mode(SaveMode.ErrorIfExists).parquet(dir);
            return session.read().parquet(dir).count();
        });
    }

    /**
     * Reads activation rows (as {@link #writeRows} writes them) back to the driver with Spark's
     * Parquet reader, in capture order: the input of {@link Extraction#fromRows}, which gives the
     * vectors of a single-machine capture.
     */
    public Activations readRows(String dir) {
        List<Row> rows = run("read rows", () -> session().read().schema(ActivationRows.SCHEMA).parquet(dir).collectAsList());
        return ActivationRows.of(rows, dir);
    }

    private SparkSession session() {
        return SparkSession.builder().config(sc.getConf()).getOrCreate(); // the running context, not a new one
    }

    /** Executor side: one partition's captured rows as Parquet rows. */
    private static List<Row> parquetRows(ModelSpec model, SiteKind kind, List<Integer> layers, PositionMode mode, Iterator<PromptTask> it) {
        List<PromptTask> mine = drain(it);
        Map<Integer, PromptTask> byIndex = new java.util.HashMap<>();
        mine.forEach(t -> byIndex.put(t.index(), t));
        List<Site> sites = sites(kind, layers);
        List<Row> out = new ArrayList<>();
        for (CapturedRow r : rows(model, kind, layers, mode, mine.iterator())) {
            PromptTask t = byIndex.get(r.prompt());
            RowInfo info = new RowInfo(r.prompt(), t.group(), r.position(), t.label());
            for (int k = 0; k < sites.size(); k++) {
                out.add(ActivationRows.row(info, mode, sites.get(k), r.vectors()[k]));
            }
        }
        return out;
    }

    private static List<PromptTask> promptTasks(List<CapturePrompt> prompts) {
        List<PromptTask> tasks = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) {
            CapturePrompt p = prompts.get(i);
            tasks.add(new PromptTask(i, p.tokens(), p.label(), p.group(), p.at()));
        }
        return tasks;
    }

    // ---------------------------------------------------------------- sweep

    /** A sweep cell to run: layer −1 is the baseline. */
    record CellTask(int index, int layer, double strength) implements Serializable {}

    /**
     * {@link SweepRunner#run} over the cluster: the baseline and every (layer, strength) cell a
     * task unit, cut into {@code partitions} tasks; each task prepares once (tokenised prompts,
     * unsteered KL logits) and runs its cells. The metric and the steering are made on the
     * executors from their recipes.
     *
     * @param metric   the behaviour metric (also made once on the driver, for its name)
     * @param steering the hooks for each (layer, strength)
     */
    public SweepResult sweep(ModelSpec model, String modelName, SweepConfig config, ModelRecipe<BehaviourMetric> metric,
                             String steering, ModelRecipe<SteeringFactory> factory, int partitions) {
        List<CellTask> cells = new ArrayList<>();
        cells.add(new CellTask(0, -1, 0));
        for (int layer : config.layers()) {
            for (double s : config.steeredStrengths()) {
                cells.add(new CellTask(cells.size(), layer, s));
            }
        }
        LoadedModel driverModel = ExecutorModels.model(model);
        String metricName = metric.make(driverModel).name();
        int slices = slices(partitions, cells.size());
        List<SweepCell> done = run("sweep", () -> sc.parallelize(cells, slices)
                .mapPartitions((Iterator<CellTask> it) -> sweepCells(model, modelName, config, metric, factory, it).iterator())
                .collect());
        return new SweepResult(modelName, steering, metricName, config, done.getFirst(), done.subList(1, done.size()));
    }

    private static List<SweepCell> sweepCells(ModelSpec model, String modelName, SweepConfig config, ModelRecipe<BehaviourMetric> metric,
                                              ModelRecipe<SteeringFactory> factory, Iterator<CellTask> it) {
        List<CellTask> mine = drain(it);
        List<SweepCell> out = new ArrayList<>();
        if (mine.isEmpty()) {
            return out;
        }
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            SweepRunner runner = new SweepRunner(te.engine(), te.model().tokenizer(), modelName);
            SteeringFactory f = factory.make(te.model());
            SweepRunner.Prepared prepared = runner.prepare(config, metric.make(te.model()));
            for (CellTask c : mine) {
                out.add(runner.cell(prepared, c.layer(), c.strength(), f));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- evaluation

    /**
     * The table of {@code jsteer eval} over the cluster: every {@link Evaluation.Unit} (A/B item,
     * held-out text, sample, KL prompt) a unit of work, cut into {@code partitions} tasks.
     *
     * @param steering the steered condition's hooks, or null for the unsteered model only
     * @param lexicon  for the sentiment of samples (null when the spec samples none)
     */
    public Map<String, Map<String, Object>> eval(ModelSpec model, Evaluation.Spec spec, ModelRecipe<InterventionSet> steering,
                                                 AfinnLexicon lexicon, int partitions) {
        List<Evaluation.Unit> units = Evaluation.units(spec, steering != null);
        int slices = slices(partitions, units.size());
        List<Evaluation.Outcome> outcomes = run("eval", () -> sc.parallelize(units, slices)
                .mapPartitions((Iterator<Evaluation.Unit> it) -> evalUnits(model, spec, steering, it).iterator())
                .collect());
        return Evaluation.table(spec, outcomes, lexicon);
    }

    private static List<Evaluation.Outcome> evalUnits(ModelSpec model, Evaluation.Spec spec, ModelRecipe<InterventionSet> steering,
                                                      Iterator<Evaluation.Unit> it) {
        List<Evaluation.Unit> mine = drain(it);
        List<Evaluation.Outcome> out = new ArrayList<>();
        if (mine.isEmpty()) {
            return out;
        }
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            InterventionSet hooks = steering == null ? null : steering.make(te.model());
            for (Evaluation.Unit u : mine) {
                out.add(Evaluation.run(te.engine(), te.model().tokenizer(), spec, hooks, u));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- MAT-Steer evaluation

    /** An item as it travels to an executor, numbered in the task's list. */
    record McTask(int index, McItem item) implements Serializable {}

    /** A text as it travels to an executor, numbered in its list. */
    record TextTask(int index, String text) implements Serializable {}

    /**
     * {@link MatEvaluator#score(String, List, MatEvaluator.ItemSteering, String)} over the cluster:
     * items partitioned, each scored by an executor with the hooks {@code how} makes there; the
     * driver adds the {@link MatEvaluator.ItemScore}s up in item order, as one machine does.
     */
    public MatEvaluator.Score matScore(ModelSpec model, String task, List<McItem> items, ModelRecipe<MatEvaluator.ItemSteering> how,
                                       int partitions) {
        List<McTask> tasks = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            tasks.add(new McTask(i, items.get(i)));
        }
        if (tasks.isEmpty()) {
            return MatEvaluator.Score.of(task, List.of());
        }
        List<Indexed<MatEvaluator.ItemScore>> scores = run("mat eval " + task, () -> sc.parallelize(tasks, slices(partitions, tasks.size()))
                .mapPartitions((Iterator<McTask> it) -> scoreItems(model, how, it).iterator())
                .collect());
        return MatEvaluator.Score.of(task, inOrder(scores, tasks.size()));
    }

    private static List<Indexed<MatEvaluator.ItemScore>> scoreItems(ModelSpec model, ModelRecipe<MatEvaluator.ItemSteering> how,
                                                                      Iterator<McTask> it) {
        List<McTask> mine = drain(it);
        List<Indexed<MatEvaluator.ItemScore>> out = new ArrayList<>();
        if (mine.isEmpty()) {
            return out;
        }
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            MatEvaluator eval = new MatEvaluator(te.engine(), te.model().tokenizer());
            McScorer scorer = new McScorer(te.engine(), te.model().tokenizer());
            MatEvaluator.ItemSteering hooks = how.make(te.model());
            for (McTask t : mine) {
                out.add(new Indexed<>(t.index(), eval.scoreItem(scorer, t.item(), hooks)));
            }
        }
        return out;
    }

    /**
     * {@link MatEvaluator#meanKl} over the cluster: texts partitioned, each text's
     * {@link MatEvaluator.KlSum} added up on the driver in text order.
     */
    public double matKl(ModelSpec model, List<String> texts, ModelRecipe<InterventionSet> steered, int partitions) {
        List<TextTask> tasks = textTasks(texts);
        if (tasks.isEmpty()) {
            return Double.NaN;
        }
        List<Indexed<MatEvaluator.KlSum>> sums = run("mat kl", () -> sc.parallelize(tasks, slices(partitions, tasks.size()))
                .mapPartitions((Iterator<TextTask> it) -> klOfTexts(model, steered, it).iterator())
                .collect());
        MatEvaluator.KlSum total = new MatEvaluator.KlSum(0, 0);
        for (MatEvaluator.KlSum k : inOrder(sums, tasks.size())) {
            total = total.plus(k);
        }
        return total.mean();
    }

    private static List<Indexed<MatEvaluator.KlSum>> klOfTexts(ModelSpec model, ModelRecipe<InterventionSet> steered, Iterator<TextTask> it) {
        List<TextTask> mine = drain(it);
        List<Indexed<MatEvaluator.KlSum>> out = new ArrayList<>();
        if (mine.isEmpty()) {
            return out;
        }
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            MatEvaluator eval = new MatEvaluator(te.engine(), te.model().tokenizer());
            InterventionSet hooks = steered.make(te.model());
            for (TextTask t : mine) {
                out.add(new Indexed<>(t.index(), eval.klOfText(t.text(), hooks)));
            }
        }
        return out;
    }

    /**
     * {@link MatEvaluator#gateStats} over the cluster: texts partitioned, the partitions' gate
     * sums merged.
     *
     * @param site the module's site, e.g. {@code resid_post[3]}
     */
    public GateStats matGateStats(ModelSpec model, List<String> texts, MatParameters mat, String site, int partitions) {
        List<TextTask> tasks = textTasks(texts);
        GateStats.Accumulator total = new GateStats.Accumulator(mat.attributes());
        if (!tasks.isEmpty()) {
            run("mat gates", () -> sc.parallelize(tasks, slices(partitions, tasks.size()))
                    .mapPartitions((Iterator<TextTask> it) -> List.of(gateSums(model, mat, site, it)).iterator())
                    .collect()).forEach(total::merge);
        }
        return total.stats();
    }

    private static GateStats.Accumulator gateSums(ModelSpec model, MatParameters mat, String site, Iterator<TextTask> it) {
        List<String> mine = drain(it).stream().map(TextTask::text).toList();
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            return new MatEvaluator(te.engine(), te.model().tokenizer()).gateSums(mine, mat, Site.parse(site));
        }
    }

    /** {@link MatEvaluator#gatesByRole} over the cluster: items partitioned, the partitions' sums merged. */
    public MatEvaluator.GatesByRole matGatesByRole(ModelSpec model, List<McItem> items, MatParameters mat, String site, int partitions) {
        List<McTask> tasks = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            tasks.add(new McTask(i, items.get(i)));
        }
        List<MatEvaluator.RoleSums> parts = tasks.isEmpty() ? List.of() : run("mat gates by role",
                () -> sc.parallelize(tasks, slices(partitions, tasks.size()))
                        .mapPartitions((Iterator<McTask> it) -> List.of(roleSums(model, mat, site, it)).iterator())
                        .collect());
        MatEvaluator.RoleSums total = MatEvaluator.RoleSums.empty(mat.attributes());
        parts.forEach(total::merge);
        return total.stats();
    }

    private static MatEvaluator.RoleSums roleSums(ModelSpec model, MatParameters mat, String site, Iterator<McTask> it) {
        List<McItem> mine = drain(it).stream().map(McTask::item).toList();
        try (ExecutorModels.TaskEngine te = ExecutorModels.engine(model)) {
            return new MatEvaluator(te.engine(), te.model().tokenizer()).roleSums(mine, mat, Site.parse(site));
        }
    }

    private static List<TextTask> textTasks(List<String> texts) {
        List<TextTask> tasks = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            tasks.add(new TextTask(i, texts.get(i)));
        }
        return tasks;
    }

    /** A result and the index of the unit it belongs to. */
    record Indexed<T>(int index, T value) implements Serializable {}

    /** The values in unit order; every unit 0..n-1 must be there once. */
    private static <T> List<T> inOrder(List<Indexed<T>> results, int n) {
        List<T> out = new ArrayList<>(java.util.Collections.nCopies(n, null));
        for (Indexed<T> r : results) {
            if (out.set(r.index(), r.value()) != null) {
                throw new IllegalStateException("unit " + r.index() + " came back twice");
            }
        }
        if (out.contains(null)) {
            throw new IllegalStateException("unit " + out.indexOf(null) + " did not come back");
        }
        return out;
    }

    private static int slices(int partitions, int units) {
        return Math.max(1, Math.min(partitions, units));
    }

    // ---------------------------------------------------------------- common

    private static <T> List<T> drain(Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    /**
     * Runs a job with progress on stderr; a task's failure comes back as the executor's own
     * exception message (e.g. "executor 1 on host cannot open the model ...") rather than
     * Spark's stage dump.
     */
    private <T> T run(String name, Supplier<T> job) {
        DriverProgress listener = new DriverProgress(name, progress);
        sc.sc().addSparkListener(listener);
        try {
            return job.get();
        } catch (Exception e) { // Spark's SparkException is checked but thrown undeclared from Scala
            throw new JobFailedException(name, e);
        } finally {
            sc.sc().removeSparkListener(listener);
        }
    }

    /** A Spark job failed; the message is the first line of the underlying task error. */
    public static final class JobFailedException extends RuntimeException {
        JobFailedException(String job, Exception e) {
            super("spark " + job + " failed: " + rootMessage(e), e);
        }

        /**
         * The executor's own message: an {@link ExecutorModels.ExecutorModelException} in the
         * cause chain (local mode keeps it), else the text after the first exception class name
         * in Spark's "Job aborted due to stage failure: ... (host executor 1): x.YException: ..."
         * (a cluster sends the task error as text), else the deepest cause's message.
         */
        private static String rootMessage(Throwable e) {
            Throwable deepest = e;
            for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
                if (t instanceof ExecutorModels.ExecutorModelException) {
                    return firstLine(t.getMessage());
                }
                deepest = t;
            }
            String top = firstLine(e.getMessage());
            int cls = top.indexOf("Exception: ");
            if (e.getClass().getName().startsWith("org.apache.spark") && cls >= 0) {
                return top.substring(cls + "Exception: ".length());
            }
            return deepest.getMessage() != null ? firstLine(deepest.getMessage()) : deepest.getClass().getName();
        }

        private static String firstLine(String m) {
            return m == null ? "" : m.lines().findFirst().orElse(m);
        }
    }
}
