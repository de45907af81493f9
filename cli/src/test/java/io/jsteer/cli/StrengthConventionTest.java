package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.cli.serve.RequestParser;
import io.jsteer.cli.serve.VectorSteering;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorAlgebra;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 point 3: one strength means one edit. A strength S is the length added along each
 * layer's unit direction, through every path that takes a strength (run/chat/lens/eval flags, a
 * server request in both forms, a sweep cell, KTS's c on one block, a control vector exported to
 * llama.cpp and read back), and {@code :raw} multiplies the stored vector. Each path's hooks are
 * run on stories260K and its logits compared with a hand-built reference edit.
 */
class StrengthConventionTest {

    @TempDir
    Path dir;

    private LoadedModel model;
    private Path setFile;
    private float[] layer2;
    private int[] prompt;

    @BeforeEach
    void setUp() throws Exception {
        model = ModelLoader.load(shared("models/stories260K.gguf"), null);
        // layers with very different stored lengths (0.3 and 5), as extract writes them
        Random r = new Random(14);
        TreeMap<Integer, float[]> v = new TreeMap<>();
        for (int l : List.of(1, 2)) {
            float[] x = new float[model.config().dim()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            v.put(l, VectorAlgebra.scale(x, (l == 1 ? 0.3 : 5) / VectorAlgebra.norm(x)));
        }
        layer2 = v.get(2);
        TreeMap<Integer, Double> resid = new TreeMap<>();
        resid.put(1, 6.0);
        resid.put(2, 8.0);
        VectorSet set = new VectorSet(SiteKind.RESID_POST, v, Provenance.of("stories260K", "", "test", "LAST", List.of()))
                .withResidNorms(resid);
        setFile = dir.resolve("happy.json");
        VectorSetFiles.write(setFile, set);
        prompt = model.tokenizer().encode("Lily was very", true);
    }

    @org.junit.jupiter.api.AfterEach
    void tearDown() {
        model.close();
    }

    private static final float TOL = 2e-5f;

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    /** The last position's logits of the prompt under {@code steering}, through the engine's one steering door. */
    private float[] logits(InterventionSet steering) {
        try (Parallel par = new Parallel(1); CpuEngine engine = model.newCpuEngine(64, par)) {
            engine.setInterventions(steering);
            return engine.prefill(prompt, 0).clone();
        }
    }

    private InterventionSet reference(float[] delta) {
        return InterventionSet.of(AddVector.of(new Site(SiteKind.RESID_POST, 2), delta, 1, Positions.ALL));
    }

    private InterventionSet runFlags(String... steer) {
        SteerOptions o = new SteerOptions();
        o.steer = new java.util.ArrayList<>(List.of(steer));
        o.positions = "all";
        o.matMultiplier = 1;
        return o.interventions(model.config());
    }

    private InterventionSet serve(String body) {
        var request = new RequestParser(new ObjectMapper(), "m", 16).parse(body, false);
        return VectorSteering.directory(model.config(), dir).resolve(request.steering());
    }

    @Test
    void oneStrengthIsOneEditInEveryCommandPath() throws Exception {
        float[] unit = VectorAlgebra.scale(layer2, 1 / VectorAlgebra.norm(layer2));
        float[] expected = logits(reference(VectorAlgebra.scale(unit, 4)));
        float[] plain = logits(null);
        assertFalse(java.util.Arrays.equals(plain, expected), "the edit changes the logits");
        // logits agree to TOL, not bit for bit (the Vector API's reductions round differently before and after
        // the JIT compiles them); an edit 1% longer moves them by far more than TOL, so TOL tells edits apart
        assertTrue(maxDiff(expected, logits(reference(VectorAlgebra.scale(unit, 4.04)))) > 50 * TOL);

        // run, chat, lens and eval (SteerOptions), by file and by name
        assertArrayEquals(expected, logits(runFlags(setFile + ":4@2")), TOL);
        // the server: both request forms
        assertArrayEquals(expected, logits(serve("{\"prompt\": \"x\", \"steering\": [\"happy:4@2\"]}")), TOL);
        assertArrayEquals(expected, logits(serve("{\"prompt\": \"x\", \"steering\": [{\"vector\": \"happy\", \"strength\": 4, \"layers\": \"2\"}]}")), TOL);
        // a sweep cell (layer 2, strength 4)
        VectorSet read = VectorSetFiles.read(setFile, model.config());
        assertArrayEquals(expected, logits(SweepCommand.cells(SweepCommand.steerable(read, false), Positions.ALL, model.config())
                .at(2, 4)), TOL);
        // KTS's c on one steered block: its vectors are scaled to norm 1, so c is the length added
        float[][] kts = new float[model.config().nLayers()][];
        kts[2] = layer2;
        kts = io.jsteer.steering.vectors.MeanDifference.normalised(kts);
        assertArrayEquals(expected, logits(new BlockSteering(kts, 4).interventions()), TOL);

        // raw: the stored vector times S, in the flag, the server and the sweep
        float[] rawExpected = logits(reference(VectorAlgebra.scale(layer2, 4)));
        assertArrayEquals(rawExpected, logits(runFlags(setFile + ":4:raw@2")), TOL);
        assertArrayEquals(rawExpected, logits(serve("{\"prompt\": \"x\", \"steering\": [{\"vector\": \"happy\", \"strength\": 4, \"layers\": \"2\", \"raw\": true}]}")), TOL);
        assertArrayEquals(rawExpected, logits(SweepCommand.cells(SweepCommand.steerable(read, true), Positions.ALL, model.config())
                .at(2, 4)), TOL);
        // the stored length 5 makes raw 4 a length-20 edit: a different edit from length 4
        assertFalse(java.util.Arrays.equals(expected, rawExpected));

        // llama.cpp: the exported control vector holds unit directions, which llama.cpp multiplies as stored, so
        // --control-vector-scaled F:4 is the same edit; read back, ":raw" (llama.cpp's meaning) and ":4" agree
        Path gguf = dir.resolve("happy.gguf");
        var export = jsteer("cvec", "export", setFile.toString(), "--out", gguf.toString(), "--model",
                shared("models/stories260K.gguf").toString());
        assertEquals(0, export.code(), export.err());
        var back = jsteer("cvec", "import", gguf.toString(), "--out", dir.resolve("back").toString());
        assertEquals(0, back.code(), back.err());
        assertEquals(1.0, VectorSetFiles.read(dir.resolve("back.json")).norms().get(2), 1e-6);
        assertArrayEquals(expected, logits(runFlags(dir.resolve("back.json") + ":4:raw@2")), TOL);
        assertArrayEquals(expected, logits(runFlags(dir.resolve("back.json") + ":4@2")), TOL);
        // --raw exports the stored vectors: then llama.cpp's F:4 is jsteer's :4:raw
        var exportRaw = jsteer("cvec", "export", setFile.toString(), "--raw", "--out", dir.resolve("raw.gguf").toString(), "--model",
                shared("models/stories260K.gguf").toString());
        assertEquals(0, exportRaw.code(), exportRaw.err());
        jsteer("cvec", "import", dir.resolve("raw.gguf").toString(), "--out", dir.resolve("rawback").toString());
        assertArrayEquals(rawExpected, logits(runFlags(dir.resolve("rawback.json") + ":4:raw@2")), TOL);
    }

    @Test
    void runSaysHowLargeTheStrengthIsNextToTheStream() {
        var r = jsteer("run", "--model", shared("models/stories260K.gguf").toString(), "--prompt", "Lily was very",
                "--temperature", "0", "--max-tokens", "4", "--steer", setFile + ":4@1-2");
        assertEquals(0, r.code(), r.err());
        // resid norms 6 and 8 were recorded: 4 is 67% and 50% of them
        assertTrue(r.err().contains("adds length 4.00 (67% of the typical |resid_post:1| 6.00)"), r.err());
        assertTrue(r.err().contains("adds length 4.00 (50% of the typical |resid_post:2| 8.00)"), r.err());
        assertTrue(r.err().contains("steering: + vector of length 4.00 at resid_post:2 (all tokens)"), r.err());
        var raw = jsteer("run", "--model", shared("models/stories260K.gguf").toString(), "--prompt", "Lily was very",
                "--temperature", "0", "--max-tokens", "4", "--steer", setFile + ":4:raw@2");
        assertTrue(raw.err().contains("happy.json:4:raw@2 adds length 20.0 (250% of the typical |resid_post:2| 8.00)"), raw.err());
        assertFalse(r.err().contains("note:"), "a set with recorded residual norms needs no note");
    }

    @Test
    void anOldSetWithoutResidualNormsStillLoadsAndSaysWhichScaleIsAssumed() throws Exception {
        // a set as jsteer wrote it before the convention: raw lengths, no extra.resid_norms
        VectorSet old = new VectorSet(SiteKind.RESID_POST, VectorSetFiles.read(setFile).vectors(),
                Provenance.of("stories260K", "", "mean_difference", "LAST", List.of()));
        VectorSetFiles.write(dir.resolve("old"), old);
        String oldFile = dir.resolve("old.json").toString();
        var r = jsteer("run", "--model", shared("models/stories260K.gguf").toString(), "--prompt", "Lily was very",
                "--temperature", "0", "--max-tokens", "8", "--steer", oldFile + ":4@2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("jsteer: note: " + oldFile + " records no residual norm") && r.err().contains("norms 0.300-5.00")
                && r.err().contains("append :raw"), r.err());
        assertTrue(r.err().contains("adds length 4.00 (no typical |resid_post:2| recorded)"), r.err());
        // it steers as the new file does (same unit directions), and :raw as older jsteer did
        var now = jsteer("run", "--model", shared("models/stories260K.gguf").toString(), "--prompt", "Lily was very",
                "--temperature", "0", "--max-tokens", "8", "--steer", setFile + ":4@2");
        assertEquals(now.out(), r.out());
        // unit-length sets (the demo's, KTS's, llama.cpp's generator's) mean the same either way: no note
        VectorSetFiles.write(dir.resolve("unit"), old.normalised());
        var unit = jsteer("run", "--model", shared("models/stories260K.gguf").toString(), "--prompt", "Lily was very",
                "--temperature", "0", "--max-tokens", "8", "--steer", dir.resolve("unit.json") + ":4@2");
        assertEquals(now.out(), unit.out());
        assertFalse(unit.err().contains("note:"), unit.err());
    }

    @Test
    void everyNamedFileIsCheckedBeforeAnyTextIsGenerated() {
        String m = shared("models/stories260K.gguf").toString();
        // the second --steer is missing: nothing is generated, the error names it
        var r = jsteer("run", "--model", m, "--prompt", "Once", "--max-tokens", "4", "--steer", setFile + ":2@1",
                "--steer", dir.resolve("nope.json") + ":2");
        assertEquals(1, r.code());
        assertEquals("", r.out());
        assertTrue(r.err().contains("nope.safetensors") && r.err().contains("missing"), r.err());
        var lens = jsteer("lens", "--model", m, "--prompt", "Once", "--steer", dir.resolve("nope.json") + ":2");
        assertEquals(1, lens.code());
        assertEquals("", lens.out());
        var sweep = jsteer("sweep", "--model", m, "--steer", dir.resolve("nope.json").toString(), "--out", dir.resolve("s").toString());
        assertEquals(1, sweep.code());
        assertTrue(sweep.err().contains("nope.safetensors"), sweep.err());
        assertFalse(java.nio.file.Files.exists(dir.resolve("s")), "nothing written");
        var cvec = jsteer("cvec", "export", dir.resolve("nope.json").toString(), "--out", dir.resolve("n.gguf").toString(), "--model", m);
        assertEquals(1, cvec.code());
        assertTrue(cvec.err().contains("nope.safetensors"), cvec.err());
    }
}
