package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.CapturePrompts;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.MeanAccumulator;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.capture.StoriesModel;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.steering.data.Dataset;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.data.LabelledPrompt;
import io.jsteer.steering.data.SharedData;
import io.jsteer.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every method on the real stories260K weights, with assertions that can fail. */
class StoriesMethodsTest {

    static LoadedModel model;
    static Parallel par;
    static CpuEngine engine;
    static List<Site> residPost;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        model = StoriesModel.load();
        par = new Parallel(1); // tiny model: threads cost more than they save
        engine = model.newCpuEngine(512, par);
        residPost = ActivationCapture.allLayers(SiteKind.RESID_POST, model.config().nLayers());
    }

    @AfterAll
    static void close() {
        engine.close();
        par.close();
        model.close();
    }

    @Test
    void testConfigMatchesTheRealModel() {
        assertEquals(VectorSetFilesTest.STORIES.dim(), model.config().dim());
        assertEquals(VectorSetFilesTest.STORIES.nLayers(), model.config().nLayers());
    }

    /** Sentiment pairs: "{subject} was very {word} today." with a happy vs a sad word; the last token is the same. */
    static List<ContrastivePair> sentimentPairs() {
        String[] subjects = {"Tom", "Lily", "The dog", "The little girl", "Ben", "Mom", "The bird", "Sue", "The boy", "Timmy"};
        String[] happy = {"happy", "glad", "cheerful", "excited", "proud"};
        String[] sad = {"sad", "angry", "upset", "scared", "grumpy"};
        List<ContrastivePair> pairs = new ArrayList<>();
        for (String s : subjects) {
            for (int i = 0; i < happy.length; i++) {
                pairs.add(new ContrastivePair(s + " was very " + happy[i] + " today.", s + " was very " + sad[i] + " today."));
            }
        }
        return pairs;
    }

    @Test
    void meanDifferenceRecoversAPlantedDirection() {
        // Different sentences for the two classes, and a direction u planted into the positives'
        // resid_post:2 by an intervention, which runs before the capture's observer at that site.
        int layer = 2;
        float[] u = VectorAlgebra.scale(Synthetic.unit(new Random(21), model.config().dim()), 8);
        List<CapturePrompt> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (CapturePrompt p : CapturePrompts.pairs(model.tokenizer(), sentimentPairs(), false)) {
            (p.label() == 1 ? pos : neg).add(p);
        }
        MeanAccumulator acc = new MeanAccumulator(residPost, model.config().dim(), 2);
        ActivationCapture capture = new ActivationCapture(engine, residPost, PositionMode.LAST);
        capture.run(pos, acc, io.jsteer.model.intervene.InterventionSet.of(io.jsteer.model.intervene.AddVector.of(
                new Site(SiteKind.RESID_POST, layer), u, 1, io.jsteer.model.intervene.Positions.ALL)), false);
        capture.run(neg, acc, null, false);
        SortedMap<Integer, float[]> diffs = MeanDifference.of(acc, SiteKind.RESID_POST);
        double cos = VectorAlgebra.cosine(diffs.get(layer), u);
        assertTrue(cos > 0.99, "cos(mean difference, planted u) = " + cos);
        // before the plant the classes' natural difference is much less aligned with u
        assertTrue(Math.abs(VectorAlgebra.cosine(diffs.get(layer - 1), u)) < 0.5, "layer " + (layer - 1));
    }

    @Test
    void caaOnSharedAbItemsTwoPathsAgree() {
        // 10 items keep the test quick; the whole file is read and checked in SharedDatasetsTest
        Dataset<AbItem> items = Datasets.abItems(SharedData.data("caa/refusal_test_dataset_ab.json")).limit(10);
        List<CapturePrompt> prompts = new ArrayList<>();
        for (CapturePrompt p : CapturePrompts.abItems(model.tokenizer(), items.items(), CapturePrompts.PLAIN_AB_FORMAT)) {
            if (p.length() <= engine.capacity()) {
                prompts.add(p);
            }
        }
        assertTrue(prompts.size() == 20, "all items fit the context: " + prompts.size());
        MeanAccumulator acc = new MeanAccumulator(residPost, model.config().dim(), 2);
        InMemoryActivations mem = new InMemoryActivations(residPost, model.config().dim());
        new ActivationCapture(engine, residPost, PositionMode.AT).run(prompts, (i, p, pos, s, x) -> {
            acc.accept(i, p, pos, s, x);
            mem.accept(i, p, pos, s, x);
        }, null, false);
        SortedMap<Integer, float[]> caa = MeanDifference.of(acc, SiteKind.RESID_POST);
        SortedMap<Integer, float[]> fromRows = MeanDifference.of(mem, SiteKind.RESID_POST);
        assertEquals(List.of(0, 1, 2, 3, 4), List.copyOf(caa.keySet()));
        for (int l : caa.keySet()) {
            assertArrayEquals(fromRows.get(l), caa.get(l), 1e-5f);
            assertTrue(VectorAlgebra.norm(caa.get(l)) > 1e-3, "layer " + l);
        }
        // the two prompts of an item differ only in the letter, so the letter sits at the same position
        for (int r = 0; r < mem.rows(); r += 2) {
            assertEquals(mem.info(r).group(), mem.info(r + 1).group());
            assertEquals(mem.info(r).position(), mem.info(r + 1).position(), "same question, same letter position");
        }
    }

    @Test
    void ablationDirectionFromRefusalSplits() {
        Dataset<LabelledPrompt> harmful = Datasets.prompts(SharedData.data("refusal_direction/harmful_train.json"),
                "instruction", "harmful").limit(32);
        Dataset<LabelledPrompt> harmless = Datasets.prompts(SharedData.data("refusal_direction/harmless_train.json"),
                "instruction", "harmless").limit(32);
        List<LabelledPrompt> all = new ArrayList<>(harmful.items());
        all.addAll(harmless.items());
        List<CapturePrompt> prompts = CapturePrompts.labelled(model.tokenizer(), all, List.of("harmless", "harmful"), false);
        MeanAccumulator acc = new MeanAccumulator(residPost, model.config().dim(), 2);
        InMemoryActivations mem = new InMemoryActivations(residPost, model.config().dim());
        new ActivationCapture(engine, residPost, PositionMode.MEAN).run(prompts, (i, p, pos, s, x) -> {
            acc.accept(i, p, pos, s, x);
            mem.accept(i, p, pos, s, x);
        }, null, false);
        SortedMap<Integer, float[]> dir = AblationDirection.of(acc, SiteKind.RESID_POST);
        SortedMap<Integer, float[]> dir2 = AblationDirection.of(mem, SiteKind.RESID_POST);
        for (int l : dir.keySet()) {
            assertEquals(1, VectorAlgebra.norm(dir.get(l)), 1e-5);
            assertArrayEquals(dir2.get(l), dir.get(l), 1e-5f);
            assertEquals(32, acc.count(new Site(SiteKind.RESID_POST, l), 1));
            // harmful prompts project higher on it than harmless ones, on average
            double harmfulMean = 0, harmlessMean = 0;
            for (int r = 0; r < mem.rows(); r++) {
                double proj = VectorAlgebra.dot(mem.vector(new Site(SiteKind.RESID_POST, l), r), dir.get(l));
                if (mem.info(r).label() == 1) {
                    harmfulMean += proj / 32;
                } else {
                    harmlessMean += proj / 32;
                }
            }
            assertTrue(harmfulMean > harmlessMean, "layer " + l);
        }
    }

    @Test
    void probeAndPcaOnARealCapture() {
        List<CapturePrompt> prompts = CapturePrompts.pairs(model.tokenizer(), sentimentPairs(), false);
        InMemoryActivations mem = new InMemoryActivations(residPost, model.config().dim());
        new ActivationCapture(engine, residPost, PositionMode.LAST).run(prompts, mem, null, false);
        LinearProbe.Result probe = LinearProbe.train(mem, SiteKind.RESID_POST, LinearProbe.Options.defaults());
        System.err.println("stories260K sentiment probe, held-out accuracy per layer: " + probe.heldOutAccuracy());
        int best = probe.bestLayers(1).getFirst();
        assertTrue(probe.layers().get(best).heldOutAccuracy() >= 0.9, "best layer " + best + ": " + probe.heldOutAccuracy());
        SortedMap<Integer, float[]> meanDiff = MeanDifference.of(mem, SiteKind.RESID_POST);
        PairedPca.Result pca = PairedPca.compute(mem, SiteKind.RESID_POST, PairedPca.Centring.PAIR_CENTRED, Magnitude.UNIT);
        System.err.println("stories260K sentiment PCA explained variance: " + pca.explainedVariance());
        for (int l : meanDiff.keySet()) {
            assertTrue(VectorAlgebra.dot(pca.vectors().get(l), meanDiff.get(l)) > 0, "PCA sign at layer " + l);
            assertTrue(VectorAlgebra.cosine(probe.layers().get(l).direction(), meanDiff.get(l)) > 0, "probe sign at layer " + l);
        }
        assertEquals(50, pca.pairs());
    }

    @Test
    void endToEndDatasetToVectorSetFileToControlVector() throws IOException {
        Dataset<ContrastivePair> pairs = Datasets.linePairs(SharedData.data("sentiment/cvector_positive.txt"),
                SharedData.data("sentiment/cvector_negative.txt"), true);
        List<CapturePrompt> prompts = CapturePrompts.pairs(model.tokenizer(), pairs.items(), false);
        MeanAccumulator acc = new MeanAccumulator(residPost, model.config().dim(), 2);
        new ActivationCapture(engine, residPost, PositionMode.LAST).run(prompts, acc, null, false);
        Provenance prov = Provenance.of(model.name(), Provenance.sha256(SharedData.path("models/stories260K.bin")),
                "mean_difference", PositionMode.LAST.name(), pairs.sources());
        VectorSet set = new VectorSet(SiteKind.RESID_POST, MeanDifference.of(acc, SiteKind.RESID_POST), prov);
        Path base = dir.resolve("happy");
        VectorSetFiles.write(base, set);
        VectorSet back = VectorSetFiles.read(base, model.config());
        assertEquals(2, back.provenance().datasets().size());
        assertEquals("3871189fb77f9faef5e65e7efe0cdeba84a6724333dfc4be587354c75c433dd3",
                back.provenance().datasets().getFirst().sha256());
        assertEquals(64, back.provenance().modelSha256().length());
        var cv = ControlVectors.export(back, dir.resolve("happy.gguf"), model.config(), "llama", true);
        assertEquals(List.of(1, 2, 3, 4), List.copyOf(cv.directions().keySet()), "layer 0 skipped");
        assertArrayEquals(set.vector(4), ControlVectors.importFile(dir.resolve("happy.gguf")).vector(4), 0f);
    }

    @Test
    void extractionMatchesTheMethodsItWraps() {
        List<CapturePrompt> prompts = CapturePrompts.pairs(model.tokenizer(), sentimentPairs().subList(0, 16), false);
        List<Integer> layers = List.of(1, 2, 3);
        Provenance base = Provenance.of(model.name(), "", "?", "", List.of());
        InMemoryActivations mem = new InMemoryActivations(layers.stream().map(l -> new Site(SiteKind.RESID_POST, l)).toList(),
                model.config().dim());
        new ActivationCapture(engine, mem.sites(), PositionMode.LAST).run(prompts, mem, null, false);

        Extraction.Request md = new Extraction.Request(SiteKind.RESID_POST, layers, PositionMode.LAST,
                Extraction.Method.MEAN_DIFFERENCE, Magnitude.UNIT, PairedPca.Centring.PAIR_CENTRED,
                LinearProbe.Options.defaults(), null, false);
        VectorSet meanDiff = Extraction.extract(engine, prompts, md, base);
        assertEquals("mean_difference", meanDiff.provenance().method());
        assertEquals("LAST", meanDiff.provenance().positions());
        SortedMap<Integer, float[]> direct = MeanDifference.of(mem, SiteKind.RESID_POST);
        for (int l : layers) {
            assertArrayEquals(direct.get(l), meanDiff.vector(l), 1e-5f);
        }

        // PCA through an on-disk store equals PCA on the in-memory rows
        Extraction.Request pcaReq = new Extraction.Request(SiteKind.RESID_POST, layers, PositionMode.LAST,
                Extraction.Method.PCA, Magnitude.MEAN_DIFF_NORM, PairedPca.Centring.PAIR_CENTRED,
                LinearProbe.Options.defaults(), dir.resolve("rows"), false);
        VectorSet pca = Extraction.extract(engine, prompts, pcaReq, base);
        PairedPca.Result directPca = PairedPca.compute(mem, SiteKind.RESID_POST, PairedPca.Centring.PAIR_CENTRED,
                Magnitude.MEAN_DIFF_NORM);
        for (int l : layers) {
            assertArrayEquals(directPca.vectors().get(l), pca.vector(l), 1e-5f);
            assertEquals(VectorAlgebra.norm(direct.get(l)), VectorAlgebra.norm(pca.vector(l)), 1e-4);
        }
        assertTrue(pca.provenance().extra().containsKey("pca_explained_variance"));

        VectorSet probe = Extraction.extract(engine, prompts, new Extraction.Request(SiteKind.RESID_POST, layers,
                PositionMode.LAST, Extraction.Method.PROBE, Magnitude.UNIT, PairedPca.Centring.PAIR_CENTRED,
                LinearProbe.Options.defaults(), null, false), base);
        assertEquals(LinearProbe.train(mem, SiteKind.RESID_POST, LinearProbe.Options.defaults()).heldOutAccuracy().size(),
                ((java.util.Map<?, ?>) probe.provenance().extra().get("probe_held_out_accuracy")).size());
        VectorSet ablation = Extraction.extract(engine, prompts, new Extraction.Request(SiteKind.RESID_POST, layers,
                PositionMode.LAST, Extraction.Method.ABLATION, Magnitude.UNIT, PairedPca.Centring.PAIR_CENTRED,
                LinearProbe.Options.defaults(), null, false), base);
        for (int l : layers) {
            assertEquals(1, VectorAlgebra.norm(probe.vector(l)), 1e-5);
            assertArrayEquals(VectorAlgebra.normalise(direct.get(l)), ablation.vector(l), 1e-5f);
        }

        // every method records the stream's typical norm per layer: the mean ||h|| of the captured rows, computed
        // here from the rows directly; the running-sum path (mean difference) and the row paths (PCA from disk,
        // probe from memory) agree with it
        float[] row = new float[model.config().dim()];
        for (int l : layers) {
            Site site = new Site(SiteKind.RESID_POST, l);
            double sum = 0;
            for (int r = 0; r < mem.rows(); r++) {
                mem.copy(site, r, row);
                sum += VectorAlgebra.norm(row);
            }
            double expected = sum / mem.rows();
            for (VectorSet v : List.of(meanDiff, pca, probe, ablation)) {
                assertEquals(expected, v.residNorms().orElseThrow().get(l), 1e-6 * expected, v.provenance().method() + " layer " + l);
            }
            // the stream is far larger than the happy/sad gap: why a strength is best read next to it
            assertTrue(expected > 3 * VectorAlgebra.norm(direct.get(l)), "layer " + l + ": " + expected);
        }
    }
}
