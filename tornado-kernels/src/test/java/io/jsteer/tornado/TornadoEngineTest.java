package io.jsteer.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.enums.TornadoVMBackendType;

/**
 * The tornado engine against the CPU engine on the real stories260K weights (5 blocks, dim 64,
 * 8 query heads over 4 KV heads): greedy text, device steering, Java hooks.
 */
class TornadoEngineTest {

    /** Logit tolerance between the engines: float sums in another order over 5 blocks (logits reach ~20). */
    static final float LOGIT_TOLERANCE = 2e-3f;

    private static LoadedModel model;
    private static Parallel par;

    @BeforeAll
    static void load() {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        Path bin = shared.resolve("models/stories260K.bin");
        if (!Files.exists(bin)) {
            throw new IllegalStateException("missing " + bin.toAbsolutePath() + " (tests need ../shared beside the checkout)");
        }
        model = ModelLoader.load(bin, shared.resolve("models/tok512.bin"));
        par = new Parallel(2);
    }

    @AfterAll
    static void unload() {
        par.close();
        model.close();
    }

    private static CpuEngine cpu() {
        return model.newCpuEngine(256, par);
    }

    private static TornadoEngine gpu() {
        return TornadoEngine.create(model.config(), model.weights(), 256);
    }

    private static String greedyText(InferenceEngine e) {
        GenerationResult r = new Generator(e).generate(new int[] {1}, 200, Sampler.greedy(), t -> t == 1, (a, b) -> {});
        return model.tokenizer().decode(r.tokens());
    }

    /** CUDA graphs are a PTX feature: asked for on another backend, create says so; on PTX the engine takes them. */
    @Test
    void cudaGraphsAreTakenOnPtxOnly() {
        String before = System.getProperty(TornadoEngine.CUDA_GRAPH_PROPERTY);
        System.setProperty(TornadoEngine.CUDA_GRAPH_PROPERTY, "true");
        try {
            if (TornadoExecutionPlan.DEFAULT_DEVICE.getTornadoVMBackend() == TornadoVMBackendType.PTX) {
                // the first token captures the graphs, the next ones replay them with new positions
                try (TornadoEngine g = gpu(); CpuEngine c = cpu()) {
                    assertTrue(g.cudaGraph());
                    for (int pos = 0; pos < 4; pos++) {
                        float[] expected = c.forward(pos + 1, pos, false).clone();
                        float[] actual = g.forward(pos + 1, pos, false);
                        for (int i = 0; i < expected.length; i++) {
                            assertEquals(expected[i], actual[i], LOGIT_TOLERANCE, "CUDA-graph logit " + i + " at position " + pos);
                        }
                    }
                }
            } else {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, TornadoEngineTest::gpu);
                assertTrue(e.getMessage().contains("PTX") && e.getMessage().contains(TornadoEngine.CUDA_GRAPH_PROPERTY), e.getMessage());
            }
        } finally {
            if (before == null) {
                System.clearProperty(TornadoEngine.CUDA_GRAPH_PROPERTY);
            } else {
                System.setProperty(TornadoEngine.CUDA_GRAPH_PROPERTY, before);
            }
        }
    }

    @Test
    void greedyTextIsTheCpuEnginesText() {
        String expected;
        try (CpuEngine c = cpu()) {
            expected = greedyText(c);
        }
        try (TornadoEngine g = gpu()) {
            // the pom sizes TornadoVM's bytecode buffer before it starts: blocks 0-3 in one graph, block 4 + head in another
            assertEquals(TornadoEngine.MAX_BLOCKS_PER_GRAPH, g.blocksPerGraph());
            assertEquals(2, g.graphsPerToken(), "no hooks: graphs split only at block boundaries");
            String actual = greedyText(g);
            assertTrue(expected.length() > 300, "a long text: " + expected);
            assertEquals(expected, actual);
        }
    }

    /** Logits at each position of a fixed token sequence. */
    private static List<float[]> logits(InferenceEngine e, int[] tokens) {
        List<float[]> out = new ArrayList<>();
        for (int p = 0; p < tokens.length; p++) {
            out.add(e.forward(tokens[p], p, p < 2).clone());
        }
        return out;
    }

    private static final int[] TOKENS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};

    private static void assertLogitsClose(List<float[]> expected, List<float[]> actual, String what) {
        for (int p = 0; p < expected.size(); p++) {
            assertArrayEquals(expected.get(p), actual.get(p), LOGIT_TOLERANCE, what + " at position " + p);
        }
    }

    private static float maxDifference(List<float[]> a, List<float[]> b) {
        float d = 0;
        for (int p = 0; p < a.size(); p++) {
            for (int i = 0; i < a.get(p).length; i++) {
                d = Math.max(d, Math.abs(a.get(p)[i] - b.get(p)[i]));
            }
        }
        return d;
    }

    private static float[] random(Random rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian() * scale;
        }
        return a;
    }

    @Test
    void deviceSteeringMatchesItsCpuTwin() {
        int dim = model.config().dim(), layers = model.config().nLayers();
        Random rnd = new Random(7);
        float[][] theta = {random(rnd, dim, 0.3f), random(rnd, dim, 0.3f)};
        float[][] gates = {random(rnd, dim, 0.2f), random(rnd, dim, 0.2f)};
        float[][] a = new float[4][], b = new float[dim][];
        for (int r = 0; r < 4; r++) {
            a[r] = random(rnd, dim, 0.2f);
        }
        for (int i = 0; i < dim; i++) {
            b[i] = random(rnd, 4, 0.2f);
        }
        List<DeviceEdit> edits = List.of(
                new DeviceEdit.AddVector(new Site(SiteKind.RESID_POST, 1), random(rnd, dim, 0.5f), 4f),
                new DeviceEdit.Ablation(new Site(SiteKind.RESID_PRE, 3), random(rnd, dim, 1f), 1f),
                new DeviceEdit.MatSteer(new Site(SiteKind.ATTN_HEADS, 2), theta, gates, new float[] {0.3f, -0.2f}),
                new DeviceEdit.LoraOutputProjection(4, a, b, 2f),
                new DeviceEdit.AddVector(new Site(SiteKind.MLP_OUT, 0), random(rnd, dim, 0.5f), -2f));
        List<float[]> plain, expected, actual;
        try (CpuEngine c = cpu()) {
            plain = logits(c, TOKENS);
        }
        try (CpuEngine c = cpu()) {
            c.setInterventions(HostSteering.toInterventions(edits, layers, dim));
            expected = logits(c, TOKENS);
        }
        try (TornadoEngine g = gpu()) {
            g.setSteering(edits);
            assertEquals(2, g.graphsPerToken(), "device steering adds no cut");
            actual = logits(g, TOKENS);
        }
        assertTrue(maxDifference(plain, expected) > 0.5f, "the edits change the logits");
        assertLogitsClose(expected, actual, "steered logits");
    }

    /**
     * The shared intervention objects (what --steer, --ablate and --mat build) on the tornado engine
     * equal the CPU engine with the same set: on device kernels when every kind has one, as host
     * hooks (with a warning) when one has not (a prompt-only vector).
     */
    @Test
    void sharedInterventionsRunAsDeviceKernelsAndMatchTheCpuEngine() {
        int dim = model.config().dim();
        Random rnd = new Random(11);
        var set = io.jsteer.model.intervene.InterventionSet.of(
                io.jsteer.model.intervene.AddVector.of(new Site(SiteKind.RESID_POST, 1), random(rnd, dim, 0.5f), 3.0,
                        io.jsteer.model.intervene.Positions.ALL),
                io.jsteer.model.intervene.Ablate.of(new Site(SiteKind.RESID_PRE, 3), random(rnd, dim, 1f)),
                new io.jsteer.model.intervene.GatedEdit(new Site(SiteKind.ATTN_HEADS, 2),
                        io.jsteer.tensor.autograd.Var.constant(io.jsteer.tensor.autograd.Precision.F32, random(rnd, 2 * dim, 0.3f), 2, dim),
                        io.jsteer.tensor.autograd.Var.constant(io.jsteer.tensor.autograd.Precision.F32, random(rnd, 2 * dim, 0.2f), 2, dim),
                        io.jsteer.tensor.autograd.Var.constant(io.jsteer.tensor.autograd.Precision.F32, new float[] {0.3f, -0.2f}, 2),
                        1.0));
        List<float[]> expected, actual;
        try (CpuEngine c = cpu()) {
            c.setInterventions(set);
            expected = logits(c, TOKENS);
        }
        try (TornadoEngine g = gpu()) {
            g.setInterventions(set);
            assertEquals(2, g.graphsPerToken(), "all three kinds ran as device kernels: no cut");
            actual = logits(g, TOKENS);
        }
        assertLogitsClose(expected, actual, "intervention logits");

        var promptOnly = io.jsteer.model.intervene.InterventionSet.of(io.jsteer.model.intervene.AddVector.of(
                new Site(SiteKind.RESID_POST, 1), random(rnd, dim, 0.5f), 3.0, io.jsteer.model.intervene.Positions.PROMPT));
        try (CpuEngine c = cpu()) {
            c.setInterventions(promptOnly);
            expected = logits(c, TOKENS);
        }
        try (TornadoEngine g = gpu()) {
            g.setInterventions(promptOnly);
            assertTrue(g.graphsPerToken() > 2, "no kernel for prompt-only vectors: host hooks cut the pass");
            actual = logits(g, TOKENS);
        }
        assertLogitsClose(expected, actual, "prompt-only intervention logits");
    }

    /**
     * Steering through the door and observers together: the observers see the steered activations,
     * on the device's kernels (AddVector at all positions) as on the host's Java edits, as on the CPU.
     */
    @Test
    void observersSeeTheSteeredActivationsOnTheDevice() {
        int dim = model.config().dim(), layers = model.config().nLayers();
        Site site = new Site(SiteKind.RESID_POST, 1);
        var set = io.jsteer.model.intervene.InterventionSet.of(io.jsteer.model.intervene.AddVector.of(site,
                random(new Random(5), dim, 0.5f), 3.0, io.jsteer.model.intervene.Positions.ALL));
        List<float[]> cpuSeen = new ArrayList<>(), gpuSeen = new ArrayList<>(), plainSeen = new ArrayList<>();
        List<float[]> expected, actual;
        try (CpuEngine c = cpu()) {
            c.setHooks(new Hooks(layers).add(site, (s, pos, inPrompt, x) -> plainSeen.add(java.util.Arrays.copyOf(x, dim))));
            logits(c, TOKENS);
        }
        try (CpuEngine c = cpu()) {
            c.setInterventions(set);
            c.setHooks(new Hooks(layers).add(site, (s, pos, inPrompt, x) -> cpuSeen.add(java.util.Arrays.copyOf(x, dim))));
            expected = logits(c, TOKENS);
        }
        try (TornadoEngine g = gpu()) {
            g.setHooks(new Hooks(layers).add(site, (s, pos, inPrompt, x) -> gpuSeen.add(java.util.Arrays.copyOf(x, dim))));
            g.setInterventions(set); // after the observers: neither door replaces the other
            assertTrue(g.graphsPerToken() > 2, "the observer cuts the plan at its site");
            actual = logits(g, TOKENS);
        }
        assertLogitsClose(expected, actual, "steered and observed logits");
        assertEquals(TOKENS.length, gpuSeen.size());
        for (int i = 0; i < TOKENS.length; i++) {
            assertArrayEquals(cpuSeen.get(i), gpuSeen.get(i), 1e-3f, "observed resid_post:1 #" + i);
            assertTrue(Math.abs(cpuSeen.get(i)[0] - plainSeen.get(i)[0]) > 1e-3, "the observer saw the steered stream");
        }
    }

    @Test
    void javaHooksRunOnTheHostWithTheCpuSemantics() {
        int dim = model.config().dim(), layers = model.config().nLayers();
        float[] push = random(new Random(3), dim, 0.5f);
        List<float[]> cpuCaptured = new ArrayList<>(), gpuCaptured = new ArrayList<>();
        List<float[]> expected = new ArrayList<>(), actual = new ArrayList<>();
        int switchAt = 4;
        try (CpuEngine c = cpu()) {
            run(c, push(layers, push), hooks(layers, cpuCaptured), switchAt, expected);
        }
        try (TornadoEngine g = gpu()) {
            run(g, push(layers, push), hooks(layers, gpuCaptured), switchAt, actual);
            assertTrue(g.graphsPerToken() > 1, "hooks cut the graph");
        }
        assertLogitsClose(expected, actual, "hooked logits");
        assertEquals(cpuCaptured.size(), gpuCaptured.size());
        assertEquals(TOKENS.length - switchAt, cpuCaptured.size());
        for (int i = 0; i < cpuCaptured.size(); i++) {
            assertArrayEquals(cpuCaptured.get(i), gpuCaptured.get(i), 1e-3f, "captured mlp_out:1 #" + i);
        }
    }

    /** Runs TOKENS, setting the steering and the observers only from {@code switchAt} on (the KV cache must carry over). */
    private static void run(InferenceEngine e, io.jsteer.model.intervene.InterventionSet steer, Hooks h, int switchAt, List<float[]> out) {
        for (int p = 0; p < TOKENS.length; p++) {
            if (p == switchAt) {
                e.setInterventions(steer);
                e.setHooks(h);
            }
            out.add(e.forward(TOKENS[p], p, false).clone());
        }
    }

    /** A Java edit (no kernel: the GPU engine runs it on the host) that adds {@code push} at resid_post:0. */
    private static io.jsteer.model.intervene.InterventionSet push(int layers, float[] push) {
        return io.jsteer.model.intervene.InterventionSet.of(new io.jsteer.model.intervene.HostEdit(new Site(SiteKind.RESID_POST, 0),
                "push", push.length, gates -> (site, pos, inPrompt, x) -> {
                    for (int i = 0; i < push.length; i++) {
                        x[i] += push[i];
                    }
                }));
    }

    private static Hooks hooks(int layers, List<float[]> captured) {
        int dim = model.config().dim();
        return new Hooks(layers).add(new Site(SiteKind.MLP_OUT, 1), (site, pos, inPrompt, x) -> captured.add(java.util.Arrays.copyOf(x, dim)));
    }
}
