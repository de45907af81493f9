package io.jsteer.steering.capture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.tensor.Parallel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActivationCaptureTest {

    static LoadedModel model;
    static Parallel par;
    static CpuEngine engine;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        model = StoriesModel.load();
        par = new Parallel(1); // tiny model: threads cost more than they save
        engine = model.newCpuEngine(256, par);
    }

    @AfterAll
    static void close() {
        engine.close();
        par.close();
        model.close();
    }

    private static List<CapturePrompt> prompts() {
        List<ContrastivePair> pairs = List.of(
                new ContrastivePair("Once upon a time, there was a happy little girl who loved to play.", "Once upon a time, there was a sad little girl."),
                new ContrastivePair("Tom was glad and smiled at the sun", "Tom was angry and cried"),
                // longer than one prefill chunk (32 tokens), so capture spans chunks
                new ContrastivePair("Lily and her mom went to the park. They saw a big dog and a small cat. The dog was friendly and the cat was soft. Lily laughed and laughed all day long.",
                        "Lily and her mom went to the park. It was cold and dark and everyone was mad."));
        return CapturePrompts.pairs(model.tokenizer(), pairs, false);
    }

    private static List<Site> sites() {
        int n = model.config().nLayers();
        List<Site> s = new ArrayList<>(ActivationCapture.allLayers(SiteKind.RESID_POST, n));
        s.addAll(ActivationCapture.allLayers(SiteKind.RESID_PRE, n));
        s.add(new Site(SiteKind.MLP_OUT, 2));
        return s;
    }

    @Test
    void captureDoesNotChangeLogits() {
        List<CapturePrompt> ps = prompts();
        List<float[]> plain = new ArrayList<>();
        engine.setHooks(null);
        for (CapturePrompt p : ps) {
            plain.add(engine.prefill(p.tokens(), 0).clone());
        }
        // capture every token at many sites, and record logits from inside the sink's run
        InMemoryActivations all = new InMemoryActivations(sites(), model.config().dim());
        List<float[]> hooked = new ArrayList<>();
        ActivationCapture capture = new ActivationCapture(engine, sites(), PositionMode.ALL);
        for (CapturePrompt p : ps) {
            capture.run(List.of(p), all, io.jsteer.model.intervene.InterventionSet.of(), false);
            hooked.add(engine.prefill(p.tokens(), 0).clone()); // hooks are gone again: plain logits
        }
        // logits while capture hooks are installed
        for (int i = 0; i < ps.size(); i++) {
            CapturePrompt p = ps.get(i);
            io.jsteer.model.intervene.Hooks h = new io.jsteer.model.intervene.Hooks(model.config().nLayers());
            for (Site s : sites()) {
                h.add(s, (site, pos, inPrompt, x) -> all.accept(0, p, pos, site, x));
            }
            engine.setHooks(h);
            float[] withHooks = engine.prefill(p.tokens(), 0).clone();
            engine.setHooks(null);
            assertArrayEquals(plain.get(i), withHooks, 0f, "prompt " + i + ": logits with capture hooks");
            assertArrayEquals(plain.get(i), hooked.get(i), 0f, "prompt " + i + ": logits after a capture");
        }
    }

    @Test
    void positionModesAgreeWithEachOther() {
        List<CapturePrompt> ps = prompts();
        int dim = model.config().dim();
        List<Site> sites = sites();
        InMemoryActivations all = new InMemoryActivations(sites, dim);
        new ActivationCapture(engine, sites, PositionMode.ALL).run(ps, all, null, false);
        int total = ps.stream().mapToInt(CapturePrompt::length).sum();
        assertEquals(total, all.rows());

        InMemoryActivations last = new InMemoryActivations(sites, dim);
        new ActivationCapture(engine, sites, PositionMode.LAST).run(ps, last); // the default run, with its progress bar
        InMemoryActivations mean = new InMemoryActivations(sites, dim);
        new ActivationCapture(engine, sites, PositionMode.MEAN).run(ps, mean, null, false);
        List<CapturePrompt> at = new ArrayList<>();
        for (CapturePrompt p : ps) {
            at.add(new CapturePrompt(p.tokens(), p.label(), p.group(), p.length() / 2));
        }
        InMemoryActivations atPos = new InMemoryActivations(sites, dim);
        new ActivationCapture(engine, sites, PositionMode.AT).run(at, atPos, null, false);
        assertEquals(ps.size(), last.rows());
        assertEquals(ps.size(), mean.rows());
        assertEquals(ps.size(), atPos.rows());

        int row = 0;
        for (int i = 0; i < ps.size(); i++) {
            int n = ps.get(i).length();
            assertEquals(new RowInfo(i, ps.get(i).group(), n - 1, ps.get(i).label()), last.info(i));
            assertEquals(-1, mean.info(i).position());
            for (Site s : sites) {
                double[] sum = new double[dim];
                for (int t = 0; t < n; t++) {
                    assertEquals(t, all.info(row + t).position());
                    float[] v = all.vector(s, row + t);
                    for (int d = 0; d < dim; d++) {
                        sum[d] += v[d];
                    }
                }
                assertArrayEquals(all.vector(s, row + n - 1), last.vector(s, i), 0f, "LAST = ALL[last] " + s);
                assertArrayEquals(all.vector(s, row + n / 2), atPos.vector(s, i), 0f, "AT = ALL[at] " + s);
                float[] m = mean.vector(s, i);
                for (int d = 0; d < dim; d++) {
                    assertEquals(sum[d] / n, m[d], 1e-5, "MEAN " + s);
                }
            }
            row += n;
        }
        // resid_pre of block L+1 is resid_post of block L: the sites are what they say
        for (int l = 0; l + 1 < model.config().nLayers(); l++) {
            for (int r = 0; r < last.rows(); r++) {
                assertArrayEquals(last.vector(new Site(SiteKind.RESID_POST, l), r),
                        last.vector(new Site(SiteKind.RESID_PRE, l + 1), r), 0f);
            }
        }
    }

    @Test
    void runningMeansEqualStoredMeansAndTheStoreRoundTrips() throws IOException {
        List<CapturePrompt> ps = prompts();
        int dim = model.config().dim();
        List<Site> sites = sites();
        InMemoryActivations mem = new InMemoryActivations(sites, dim);
        MeanAccumulator acc = new MeanAccumulator(sites, dim, 2);
        Path store = dir.resolve("acts");
        try (ActivationStore.Writer w = ActivationStore.create(store, sites, dim, PositionMode.ALL, Map.of("model", "stories260K"))) {
            new ActivationCapture(engine, sites, PositionMode.ALL).run(ps, (i, p, pos, s, x) -> {
                mem.accept(i, p, pos, s, x);
                acc.accept(i, p, pos, s, x);
                w.accept(i, p, pos, s, x);
            }, null, false);
        }
        try (ActivationStore back = ActivationStore.open(store)) {
            assertEquals(mem.rows(), back.rows());
            assertEquals(sites, back.sites());
            assertEquals("stories260K", back.metadata().path("model").asText());
            for (int r = 0; r < mem.rows(); r++) {
                assertEquals(mem.info(r), back.info(r));
                for (Site s : sites) {
                    assertArrayEquals(mem.vector(s, r), back.vector(s, r), 0f);
                }
            }
        }
        for (Site s : sites) {
            for (int c = 0; c < 2; c++) {
                double[] sum = new double[dim];
                int n = 0;
                double norms = 0;
                for (int r = 0; r < mem.rows(); r++) {
                    if (mem.info(r).label() == c) {
                        float[] v = mem.vector(s, r);
                        double sq = 0;
                        for (int d = 0; d < dim; d++) {
                            sum[d] += v[d];
                            sq += v[d] * v[d];
                        }
                        norms += Math.sqrt(sq);
                        n++;
                    }
                }
                assertEquals(n, acc.count(s, c));
                float[] m = acc.mean(s, c);
                for (int d = 0; d < dim; d++) {
                    assertEquals(sum[d] / n, m[d], 1e-5);
                }
            }
            float[] diff = acc.meanDifference(s, 1, 0);
            float[] p = acc.mean(s, 1), q = acc.mean(s, 0);
            for (int d = 0; d < dim; d++) {
                assertEquals(p[d] - q[d], diff[d], 1e-5);
            }
        }
    }

    @Test
    void incompleteStoreIsRefused() throws IOException {
        List<Site> sites = List.of(new Site(SiteKind.RESID_POST, 1));
        Path store = dir.resolve("partial");
        ActivationStore.Writer w = ActivationStore.create(store, sites, 4, PositionMode.LAST, null);
        w.accept(0, CapturePrompt.of(new int[] {1}, 0), 0, sites.getFirst(), new float[] {1, 2, 3, 4});
        // not closed: no header yet
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ActivationStore.open(store)).getMessage()
                .contains("did not finish"));
        w.close();
        try (ActivationStore s = ActivationStore.open(store)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, s.vector(sites.getFirst(), 0));
        }
        // a truncated data file is caught against the header
        Path f = store.resolve(ActivationStore.fileName(sites.getFirst()));
        Files.write(f, new byte[8]);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ActivationStore.open(store)).getMessage()
                .contains("the header implies 16"));
    }

    @Test
    void answerLetterPositionIsTheLetterToken() {
        AbItem item = new AbItem("Is the sky blue?\n\nChoices:\n(A) Yes\n(B) No", "A", "B");
        List<CapturePrompt> ps = CapturePrompts.abItems(model.tokenizer(), List.of(item), CapturePrompts.PLAIN_AB_FORMAT);
        assertEquals(2, ps.size());
        for (CapturePrompt p : ps) {
            int[] t = p.tokens();
            String upTo = model.tokenizer().decode(java.util.Arrays.copyOf(t, p.at() + 1));
            String before = model.tokenizer().decode(java.util.Arrays.copyOf(t, p.at()));
            String letter = p.label() == CapturePrompts.POSITIVE ? "A" : "B";
            assertTrue(upTo.endsWith("Answer: (" + letter) || upTo.endsWith("Answer: (" + letter + ")"), upTo);
            assertTrue(!before.contains("Answer: (" + letter), before);
            assertEquals(0, p.group());
        }
    }

    @Test
    void badRequestsAreRefusedClearly() {
        List<Site> sites = List.of(new Site(SiteKind.RESID_POST, 0));
        ActivationCapture at = new ActivationCapture(engine, sites, PositionMode.AT);
        InMemoryActivations sink = new InMemoryActivations(sites, model.config().dim());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> at.run(List.of(CapturePrompt.of(new int[] {1, 2}, 0)), sink, null, false)).getMessage()
                .contains("no position to record"));
        ActivationCapture last = new ActivationCapture(engine, sites, PositionMode.LAST);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> last.run(List.of(CapturePrompt.of(new int[300], 0)), sink, null, false)).getMessage()
                .contains("more than the context of 256"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new ActivationCapture(engine, List.of(new Site(SiteKind.RESID_POST, 5)), PositionMode.LAST)).getMessage()
                .contains("past the model's last block"));
    }
}
