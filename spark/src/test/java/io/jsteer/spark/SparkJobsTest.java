package io.jsteer.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.CapturePrompts;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.eval.AfinnLexicon;
import io.jsteer.steering.eval.Evaluation;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatApplication;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.mat.MatParameters;
import io.jsteer.steering.mat.tasks.MatTask;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.sweep.BehaviourMetric;
import io.jsteer.steering.sweep.SteeringFactory;
import io.jsteer.steering.sweep.SweepConfig;
import io.jsteer.steering.sweep.SweepResult;
import io.jsteer.steering.sweep.SweepRunner;
import io.jsteer.steering.vectors.Extraction;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The central check of the module: every Spark job, run in local[2] with more partitions than
 * prompts per partition, gives what the single-machine path gives on stories260K. One Spark
 * context for the class (start-up costs seconds).
 */
class SparkJobsTest {

    static JavaSparkContext sc;
    static SparkJobs jobs;
    static ModelSpec spec;
    static LoadedModel model;
    static List<CapturePrompt> caa;
    static Provenance provenance;

    @BeforeAll
    static void start() {
        Path bin = Shared.path("models/stories260K.bin");
        Path tok = Shared.path("models/tok512.bin");
        spec = new ModelSpec(bin.toString(), tok.toString(), 256, 1);
        model = ModelLoader.load(bin, tok);
        var items = Datasets.abItems(Shared.path("data/caa/refusal_generate_dataset.json")).items().subList(0, 12);
        caa = CapturePrompts.abItems(model.tokenizer(), items, CapturePrompts.PLAIN_AB_FORMAT);
        provenance = Provenance.of("stories260K", "", "", "AT answer letter", List.of());
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("jsteer-test")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1"));
        jobs = SparkJobs.on(sc);
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.stop();
        }
        model.close();
    }

    private static VectorSet singleMachine(Extraction.Request r) {
        return singleMachine(r, caa);
    }

    private static VectorSet singleMachine(Extraction.Request r, List<CapturePrompt> prompts) {
        try (Parallel par = new Parallel(1); InferenceEngine engine = model.newCpuEngine(256, par)) {
            return Extraction.extract(engine, prompts, r, provenance);
        }
    }

    private static void assertSameVectors(VectorSet expected, VectorSet actual, double relative) {
        assertSameValues(expected, actual, relative);
        assertEquals(expected.provenance().method(), actual.provenance().method());
        assertSameExtra(expected.provenance().extra(), actual.provenance().extra(), "provenance");
    }

    /**
     * Equal provenance details; numbers (PCA's explained variance) within 1e-9 relative: streamed
     * PCA takes the eigenvalues of the dim × dim scatter where one machine takes the Gram matrix.
     */
    private static void assertSameExtra(Object e, Object a, String where) {
        if (e instanceof Map<?, ?> em && a instanceof Map<?, ?> am) {
            assertEquals(em.keySet(), am.keySet(), where);
            // which layers' raw eigenvector came out with the wrong sign depends on the eigensolver's input (Gram
            // matrix or scatter), not on the data; the aligned vectors themselves are compared
            em.forEach((k, v) -> {
                if (!k.equals("pca_flipped_layers")) {
                    assertSameExtra(v, am.get(k), where + "." + k);
                }
            });
        } else if (e instanceof Double ed && a instanceof Double ad) {
            assertEquals(ed, ad, 1e-9 * Math.abs(ed), where);
        } else {
            assertEquals(e, a, where);
        }
    }

    /** Same layers, each vector within {@code relative} (L2 norm of the difference over the norm). */
    private static void assertSameValues(VectorSet expected, VectorSet actual, double relative) {
        assertEquals(expected.vectors().keySet(), actual.vectors().keySet());
        for (int layer : expected.vectors().keySet()) {
            float[] e = expected.vector(layer), a = actual.vector(layer);
            double diff = 0, norm = 0;
            for (int i = 0; i < e.length; i++) {
                diff += (e[i] - a[i]) * (double) (e[i] - a[i]);
                norm += e[i] * (double) e[i];
            }
            assertTrue(norm > 0, "layer " + layer + " vector is zero");
            assertTrue(Math.sqrt(diff / norm) <= relative, "layer " + layer + ": relative difference " + Math.sqrt(diff / norm));
        }
    }

    @Test
    void meanDifferenceFromMergedSumsEqualsOnePass() {
        Extraction.Request r = quiet(Extraction.Request.of(SiteKind.RESID_POST, List.of(0, 1, 2, 3, 4), PositionMode.AT,
                Extraction.Method.MEAN_DIFFERENCE));
        VectorSet one = singleMachine(r);
        VectorSet spark = jobs.extract(spec, caa, r, provenance, 5); // 24 prompts in 5 tasks over 2 slots
        assertSameVectors(one, spark, 1e-6);
        assertEquals(Map.of("positive", 12L, "negative", 12L), spark.provenance().extra().get("counts"));
    }

    @Test
    void pcaAndProbeFromCollectedRowsEqualOnePass() {
        List<CapturePrompt> some = caa.subList(0, 16); // 8 A/B items: each capture here is 16 prompts, twice per method
        for (Extraction.Method m : List.of(Extraction.Method.PCA, Extraction.Method.PROBE, Extraction.Method.ABLATION)) {
            Extraction.Request r = quiet(Extraction.Request.of(SiteKind.RESID_POST, List.of(1, 3), PositionMode.AT, m));
            assertSameVectors(singleMachine(r, some), jobs.extract(spec, some, r, provenance, 3), 1e-6);
        }
        // PCA from streamed scatters: pairs apart in the prompt list (all positives, then all negatives) and centred on their mean
        List<CapturePrompt> apart = new java.util.ArrayList<>(some.stream().filter(p -> p.label() == 1).toList());
        apart.addAll(some.stream().filter(p -> p.label() == 0).toList());
        Extraction.Request centred = new Extraction.Request(SiteKind.RESID_POST, List.of(1, 3), PositionMode.AT, Extraction.Method.PCA,
                io.jsteer.steering.vectors.Magnitude.MEAN_ACTIVATION_NORM, io.jsteer.steering.vectors.PairedPca.Centring.DIFF_CENTRED,
                io.jsteer.steering.vectors.LinearProbe.Options.defaults(), null, false);
        assertSameVectors(singleMachine(centred, apart), jobs.extract(spec, apart, centred, provenance, 3), 1e-6);
        // MEAN positions: one row per prompt from a mean over its tokens
        Extraction.Request r = quiet(Extraction.Request.of(SiteKind.RESID_POST, List.of(2), PositionMode.MEAN, Extraction.Method.PCA));
        assertSameVectors(singleMachine(r, some), jobs.extract(spec, some, r, provenance, 4), 1e-6);
    }

    @Test
    void activationRowsWrittenAsParquetGiveTheSingleMachineVectors() throws Exception {
        Path dir = Files.createTempDirectory("jsteer-rows").resolve("rows.parquet");
        List<Integer> layers = List.of(0, 2, 4);
        long written = jobs.writeRows(spec, caa, SiteKind.RESID_POST, layers, PositionMode.AT, dir.toString(), 5);
        assertEquals((long) caa.size() * layers.size(), written, "one row per prompt and site");
        assertTrue(Files.exists(dir.resolve("_SUCCESS")), "Spark's committer marks a complete write");
        try (var files = Files.list(dir)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet")), "Parquet part files");
        }
        var acts = jobs.readRows(dir.toString());
        assertEquals(caa.size(), acts.rows());
        assertEquals(List.of(new Site(SiteKind.RESID_POST, 0), new Site(SiteKind.RESID_POST, 2), new Site(SiteKind.RESID_POST, 4)), acts.sites());
        for (int r = 0; r < acts.rows(); r++) {
            assertEquals(r, acts.info(r).prompt(), "capture order");
            assertEquals(caa.get(r).label(), acts.info(r).label());
            assertEquals(caa.get(r).group(), acts.info(r).group());
            assertEquals(caa.get(r).at(), acts.info(r).position());
        }
        // the mean difference recomputed from the rows read back (the single-machine one comes from running sums,
        // whose provenance also counts the classes: compare the vectors), and PCA, which needs the rows
        Extraction.Request md = quiet(Extraction.Request.of(SiteKind.RESID_POST, layers, PositionMode.AT, Extraction.Method.MEAN_DIFFERENCE));
        assertSameValues(singleMachine(md), Extraction.fromRows(acts, md, provenance), 1e-6);
        Extraction.Request pca = quiet(Extraction.Request.of(SiteKind.RESID_POST, layers, PositionMode.AT, Extraction.Method.PCA));
        assertSameVectors(singleMachine(pca), Extraction.fromRows(acts, pca, provenance), 1e-6);
        // the file is written once: a second write to the same place is refused, naming it
        var e = assertThrows(SparkJobs.JobFailedException.class,
                () -> jobs.writeRows(spec, caa, SiteKind.RESID_POST, layers, PositionMode.AT, dir.toString(), 2));
        assertTrue(e.getMessage().contains("already exists") && e.getMessage().contains("rows.parquet"), e.getMessage());
    }

    private static Extraction.Request quiet(Extraction.Request r) {
        return new Extraction.Request(r.kind(), r.layers(), r.positions(), r.method(), r.magnitude(), r.centring(), r.probe(), null, false);
    }

    /** A steering vector of the model's own data, so the steered figures move. */
    private static SortedMap<Integer, float[]> refusalVectors() {
        Extraction.Request r = quiet(Extraction.Request.of(SiteKind.RESID_POST, List.of(1, 2), PositionMode.AT,
                Extraction.Method.MEAN_DIFFERENCE));
        return new TreeMap<>(singleMachine(r).vectors());
    }

    private static ModelRecipe<SteeringFactory> addVector(SortedMap<Integer, float[]> vectors) {
        return m -> (layer, strength) -> InterventionSet.of(AddVector.of(new Site(SiteKind.RESID_POST, layer), vectors.get(layer),
                strength, Positions.ALL));
    }

    @Test
    void sweepCellsEqualTheSingleMachineSweep() {
        SortedMap<Integer, float[]> vectors = refusalVectors();
        Path afinn = Shared.path("data/sentiment/AFINN-en-165.txt");
        SweepConfig config = SweepConfig.builder().layers(List.of(1, 2)).strengths(List.of(0.0, 2.0, 6.0))
                .prompts(List.of("Once upon a time", "The little dog")).samples(3).maxTokens(12).temperature(0.8f).seed(7)
                .klPrompts(List.of("Lily went to the park.")).perplexityTexts(List.of("Tom had a red ball. He liked to play."))
                .progress(false).build();
        String afinnPath = afinn.toString();
        ModelRecipe<BehaviourMetric> metric = m -> BehaviourMetric.afinnSentiment(AfinnLexicon.load(Path.of(afinnPath)));
        SweepResult one;
        try (Parallel par = new Parallel(1); InferenceEngine engine = model.newCpuEngine(256, par)) {
            one = new SweepRunner(engine, model.tokenizer(), "stories260K").run(config, metric.make(model), "refusal", addVector(vectors).make(model));
        }
        SweepResult spark = jobs.sweep(spec, "stories260K", config, metric, "refusal", addVector(vectors), 3);
        assertSameCell(one.baseline(), spark.baseline());
        assertEquals(4, spark.cells().size());
        for (int i = 0; i < 4; i++) {
            assertSameCell(one.cells().get(i), spark.cells().get(i));
        }
        assertTrue(spark.cells().stream().anyMatch(c -> c.klMean() > 0), "steering moved nothing: the comparison would be vacuous");
        assertEquals(one.behaviour(), spark.behaviour());
    }

    @Test
    void evaluationTableEqualsTheSingleMachineTable() throws Exception {
        SortedMap<Integer, float[]> vectors = refusalVectors();
        List<AbItem> ab = Datasets.abItems(Shared.path("data/caa/refusal_test_dataset_ab.json")).items().subList(0, 5).stream()
                .map(AbItem::awaitingLetter)
                .toList();
        Evaluation.Spec evalSpec = new Evaluation.Spec(ab, List.of("Tom had a red ball. He liked to play.", "The sun was hot."),
                List.of("Once upon a time", "Lily saw a cat"), 4, 10, 0.8f, 42);
        AfinnLexicon lexicon = AfinnLexicon.load(Shared.path("data/sentiment/AFINN-en-165.txt"));
        ModelRecipe<InterventionSet> steering = m -> InterventionSet.of(AddVector.of(new Site(SiteKind.RESID_POST, 2), vectors.get(2), 4,
                Positions.ALL));
        Map<String, Map<String, Object>> one;
        try (Parallel par = new Parallel(1); InferenceEngine engine = model.newCpuEngine(256, par)) {
            one = Evaluation.table(evalSpec, Evaluation.runAll(engine, model.tokenizer(), evalSpec, steering.make(model), u -> {}), lexicon);
        }
        Map<String, Map<String, Object>> spark = jobs.eval(spec, evalSpec, steering, lexicon, 4);
        assertEquals(one.keySet(), spark.keySet());
        for (String condition : one.keySet()) {
            Map<String, Object> e = one.get(condition), a = spark.get(condition);
            assertEquals(e.keySet(), a.keySet(), condition);
            for (String metric : e.keySet()) {
                if (FROM_LOGITS.contains(metric)) {
                    assertClose((Double) e.get(metric), (Double) a.get(metric), condition + " " + metric);
                } else {
                    assertEquals(e.get(metric), a.get(metric), condition + " " + metric + " (from the sampled texts: exact)");
                }
            }
        }
        assertEquals(List.of("unsteered", "steered"), List.copyOf(spark.keySet()));
        assertTrue((Double) spark.get("steered").get("kl_vs_unsteered") > 0);
        assertTrue(!spark.get("steered").get("ab_logit_difference").equals(spark.get("unsteered").get("ab_logit_difference")));
    }

    /**
     * Figures computed from logits. The CPU engine's float rounding differs by ~1e-7 between
     * interpreted and JIT-compiled Vector API code (see SweepRunner), so even two single-machine
     * runs agree only to that; figures from sampled texts (same seeds, same tokens) are exact.
     */
    static final java.util.Set<String> FROM_LOGITS = java.util.Set.of("ab_matching_probability", "ab_logit_difference", "perplexity",
            "kl_vs_unsteered");

    static void assertClose(double expected, double actual, String what) {
        // relative, plus an absolute floor for differences of logits near 0 (A/B logit difference, small KL)
        assertEquals(expected, actual, 1e-6 * Math.abs(expected) + 1e-6, what);
    }

    static void assertSameCell(io.jsteer.steering.sweep.SweepCell e, io.jsteer.steering.sweep.SweepCell a) {
        String cell = "cell " + e.layer() + "/" + e.strength();
        assertEquals(e.layer(), a.layer());
        assertEquals(e.strength(), a.strength());
        assertEquals(e.samples(), a.samples(), cell + " texts");
        assertEquals(e.meanTokens(), a.meanTokens(), cell);
        assertEquals(e.degeneration(), a.degeneration(), cell);
        assertEquals(e.behaviour(), a.behaviour(), cell + " AFINN of the texts");
        assertEquals(e.behaviourDetails(), a.behaviourDetails(), cell);
        assertClose(e.klMean(), a.klMean(), cell + " KL mean");
        assertClose(e.klMax(), a.klMax(), cell + " KL max");
        assertClose(e.perplexity(), a.perplexity(), cell + " perplexity");
    }

    /** A MAT-Steer module of random parameters at resid_post:2, gates biased so that some open and some do not. */
    private static MatParameters randomModule() {
        java.util.Random r = new java.util.Random(11);
        int dim = model.config().dim();
        float[][] theta = new float[2][dim], gate = new float[2][dim];
        for (int t = 0; t < 2; t++) {
            for (int i = 0; i < dim; i++) {
                theta[t][i] = (float) (0.5 * r.nextGaussian());
                gate[t][i] = (float) (0.3 * r.nextGaussian());
            }
        }
        return new MatParameters(List.of("truthfulqa", "sentiment"), theta, gate, new float[] {0f, -0.5f});
    }

    @Test
    void matEvalScoresKlAndGatesEqualTheSingleMachineOnes() throws Exception {
        MatParameters mat = randomModule();
        String site = "resid_post:2";
        MatApplication how = MatApplication.PAPER;
        Path data = Shared.path("data");
        // TruthfulQA items name a best answer (MC1); one made-up item is over the 256-token context (skipped)
        List<McItem> tqa = new java.util.ArrayList<>(MatTask.TRUTHFULQA.load(data, 3).test().subList(0, 6));
        tqa.add(2, new McItem("truthfulqa", "long", "Q: " + "Where did the little cat go after the rain? ".repeat(40) + "A:",
                List.of("Home.", "To the moon."), List.of(true, false), 0)); // over the 256-token context: skipped
        List<McItem> sentiment = MatTask.SENTIMENT.load(data, 3).test().subList(0, 9);
        ModelRecipe<MatEvaluator.ItemSteering> unsteered = m -> item -> null;
        ModelRecipe<MatEvaluator.ItemSteering> steered = m -> MatEvaluator.itemSteering(mat, Site.parse(site), how, m.config(), m.tokenizer());
        ModelRecipe<InterventionSet> klHooks = m -> how.interventions(mat, Site.parse(site), m.config(), 0, 0);
        List<String> texts = sentiment.stream().map(i -> i.text(0)).toList();
        try (Parallel par = new Parallel(1); InferenceEngine engine = model.newCpuEngine(256, par)) {
            MatEvaluator one = new MatEvaluator(engine, model.tokenizer());
            boolean moved = false;
            for (List<McItem> items : List.of(tqa, sentiment)) {
                String task = items.getFirst().task();
                for (ModelRecipe<MatEvaluator.ItemSteering> how2 : List.of(unsteered, steered)) {
                    MatEvaluator.Score e = one.score(task, items, how2.make(model), null);
                    MatEvaluator.Score a = jobs.matScore(spec, task, items, how2, 4); // more tasks than slots
                    assertEquals(e.items(), a.items(), task);
                    assertEquals(e.skipped(), a.skipped(), task);
                    assertClose(e.mc2(), a.mc2(), task + " MC2");
                    assertClose(e.accuracy(), a.accuracy(), task + " accuracy");
                    assertEquals(Double.isNaN(e.mc1()), Double.isNaN(a.mc1()), task + " MC1 present");
                    if (!Double.isNaN(e.mc1())) {
                        assertClose(e.mc1(), a.mc1(), task + " MC1");
                    }
                }
                moved |= one.score(task, items, unsteered.make(model), null).mc2() != one.score(task, items, steered.make(model), null).mc2();
            }
            assertTrue(moved, "the module moved no score: the comparison would be vacuous");
            assertTrue(MatEvaluator.Score.of("x", List.of()).items() == 0);
            MatEvaluator.Score tq = one.score("truthfulqa", tqa, unsteered.make(model), null);
            assertTrue(tq.skipped() > 0 && tq.items() > 0 && !Double.isNaN(tq.mc1()), "TruthfulQA: some items skipped, MC1 on the rest: " + tq);

            double kl = one.meanKl(texts, klHooks.make(model));
            assertTrue(kl > 0, "KL " + kl);
            assertClose(kl, jobs.matKl(spec, texts, klHooks, 4), "KL");

            assertSameGates(one.gateStats(texts, mat, Site.parse(site)), jobs.matGateStats(spec, texts, mat, site, 4), "gates");
            MatEvaluator.GatesByRole e = one.gatesByRole(sentiment, mat, Site.parse(site)), a = jobs.matGatesByRole(spec, sentiment, mat, site, 4);
            assertSameGates(e.prompt(), a.prompt(), "prompt gates");
            assertSameGates(e.trueAnswers(), a.trueAnswers(), "true-answer gates");
            assertSameGates(e.falseAnswers(), a.falseAnswers(), "false-answer gates");
            assertSameGates(e.trueWords(), a.trueWords(), "true-word gates");
            assertSameGates(e.falseWords(), a.falseWords(), "false-word gates");
            assertTrue(e.prompt().intervenedPerText() > 0 && e.prompt().intervenedPerText() < e.prompt().tokensPerText(),
                    "some gates open, not all: " + e.prompt());
        }
    }

    private static void assertSameGates(GateStats e, GateStats a, String what) {
        assertEquals(e.attributes(), a.attributes(), what);
        assertEquals(e.texts(), a.texts(), what + " texts");
        assertEquals(e.tokensPerText(), a.tokensPerText(), 1e-12, what + " tokens per text");
        assertEquals(e.intervenedPerText(), a.intervenedPerText(), 1e-12, what + " intervened per text");
        for (int t = 0; t < e.attributes().size(); t++) {
            assertClose(e.meanGate()[t], a.meanGate()[t], what + " mean gate " + t);
            assertEquals(e.openShare()[t], a.openShare()[t], 1e-12, what + " open share " + t);
        }
    }

    @Test
    void eachExecutorOpensTheModelOnce() {
        // every job above and below ran several tasks on this JVM's executor (local mode): one load per spec
        Evaluation.Spec s = new Evaluation.Spec(List.of(), List.of("One day a bird sang.", "It was fun."), List.of(), 0, 1, 0, 1);
        jobs.eval(spec, s, null, null, 2);
        jobs.eval(spec, s, null, null, 2);
        int before = ExecutorModels.loads();
        jobs.eval(spec, s, null, null, 2);
        assertEquals(before, ExecutorModels.loads());
        assertTrue(before >= 1);
    }

    @Test
    void theDriverPrintsTasksDoneOfTotalWithAnEta() throws Exception {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        SparkJobs watched = SparkJobs.on(sc, new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        Evaluation.Spec s = new Evaluation.Spec(List.of(), List.of("One day a bird sang.", "It was fun.", "The sun was hot.",
                "Tom had a red ball.", "Lily saw a cat.", "The dog ran."), List.of(), 0, 1, 0, 1);
        watched.eval(spec, s, null, null, 6);
        List<String> lines = buf.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
        assertTrue(!lines.isEmpty(), "no progress line");
        java.util.regex.Pattern line = java.util.regex.Pattern.compile("jsteer spark eval: (\\d+)/6 tasks done(, ETA \\d+ s)? \\(\\d+ s\\)");
        int last = 0;
        for (String l : lines) {
            var m = line.matcher(l);
            assertTrue(m.matches(), "progress line: " + l);
            int done = Integer.parseInt(m.group(1));
            assertTrue(done >= last, "done goes up: " + lines);
            assertEquals(done < 6, m.group(2) != null, "an ETA while tasks remain, none at the end: " + l);
            last = done;
        }
        assertEquals("6/6", lines.getLast().replaceAll(".*: (\\d+/\\d+) tasks.*", "$1"), "the last line: all tasks done");
    }

    @Test
    void anExecutorThatCannotOpenTheModelSaysWhichAndWhere() throws Exception {
        Path missing = Files.createTempDirectory("jsteer-spark").resolve("no-such-model.gguf");
        ModelSpec bad = new ModelSpec(missing.toString(), null, 64, 1);
        Evaluation.Spec s = new Evaluation.Spec(List.of(), List.of("One day a bird sang."), List.of(), 0, 1, 0, 1);
        SparkJobs.JobFailedException e = assertThrows(SparkJobs.JobFailedException.class, () -> jobs.eval(bad, s, null, null, 1));
        assertTrue(e.getMessage().contains("cannot open the model " + missing), e.getMessage());
        assertTrue(e.getMessage().startsWith("spark eval failed: executor "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
