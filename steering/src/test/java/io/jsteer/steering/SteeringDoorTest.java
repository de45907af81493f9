package io.jsteer.steering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.GateListener;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.eval.EvalFixtures;
import io.jsteer.steering.eval.Evaluation;
import io.jsteer.steering.kts.eval.KtsEvaluation;
import io.jsteer.steering.lens.LensResult;
import io.jsteer.steering.lens.LogitLens;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.mat.MatParameters;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.sweep.BehaviourMetric;
import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepConfig;
import io.jsteer.steering.sweep.SweepRunner;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every steering job steers through {@code setInterventions} only, and observes through
 * {@code setHooks} only. The jobs run on a {@link Recorder}: a CpuEngine behind a wrapper that
 * records what comes through each door. A job that steered by hooks would fail twice: the
 * recorder would see no steering, and the CpuEngine, run with assertions on, throws when an
 * observer changes its activation. Observers see the steered activations.
 */
class SteeringDoorTest {

    private static LoadedModel model;
    private static Parallel par;
    private static final Site SITE = new Site(SiteKind.RESID_POST, 2);

    @BeforeAll
    static void load() {
        model = EvalFixtures.stories();
        par = new Parallel(2);
    }

    @AfterAll
    static void close() {
        par.close();
        model.close();
    }

    /** An engine that records the calls of each door and passes them on to a CpuEngine. */
    static final class Recorder implements InferenceEngine {
        final CpuEngine inner;
        final List<InterventionSet> steering = new ArrayList<>(); // every non-empty set, in order
        final List<GateListener> gateListeners = new ArrayList<>();
        int observerCalls;

        Recorder(int capacity) {
            inner = model.newCpuEngine(capacity, par);
        }

        int steeredCalls() { return steering.size(); }

        @Override public LlamaConfig config() { return inner.config(); }
        @Override public int capacity() { return inner.capacity(); }
        @Override public float[] forward(int token, int position, boolean inPrompt) { return inner.forward(token, position, inPrompt); }
        @Override public float[] prefill(int[] tokens, int start) { return inner.prefill(tokens, start); }
        @Override public void setAdapter(LoraAdapter adapter) { inner.setAdapter(adapter); }
        @Override public void close() { inner.close(); }

        @Override
        public void setHooks(Hooks observers) {
            if (observers != null && !observers.isEmpty()) {
                observerCalls++;
            }
            inner.setHooks(observers);
        }

        @Override
        public void setInterventions(InterventionSet set, GateListener gates) {
            if (set != null && !set.isEmpty()) {
                steering.add(set);
                gateListeners.add(gates);
            }
            inner.setInterventions(set, gates);
        }
    }

    private static InterventionSet addAt(Site site, double strength) {
        return InterventionSet.of(AddVector.of(site, EvalFixtures.unitVector(model.config().dim(), 11), strength, Positions.ALL));
    }

    @Test
    void aSweepCellSteersThroughTheDoor() {
        try (Recorder e = new Recorder(256)) {
            SweepConfig cfg = SweepConfig.builder().layers(List.of(2)).strengths(List.of(0.0, 6.0)).prompts(List.of("Once upon a time,"))
                    .samples(2).maxTokens(8).temperature(0.8f).seed(3).klPrompts(List.of("The cat sat on the mat.")).progress(false).build();
            SweepRunner runner = new SweepRunner(e, model.tokenizer(), model.name());
            SweepRunner.Prepared p = runner.prepare(cfg, BehaviourMetric.afinnSentiment(EvalFixtures.afinn()));
            InterventionSet set = addAt(SITE, 6.0);
            SweepCell cell = runner.cell(p, 2, 6.0, (layer, strength) -> set);
            assertEquals(List.of(set), e.steering.stream().distinct().toList(), "the factory's set, through setInterventions");
            assertTrue(cell.klMean() > 1e-3, "the cell is steered: KL " + cell.klMean());
            assertEquals(0, runner.cell(p, -1, 0, null).klMean(), 1e-9, "and the engine is unsteered again");
        }
    }

    @Test
    void evaluationUnitsSteerThroughTheDoor() {
        Evaluation.Spec spec = new Evaluation.Spec(List.of(AbItem.fromCaa("Is the sky blue?\n(A) yes\n(B) no", "(A)", "(B)")),
                List.of("Tom had a red ball."), List.of("Once upon a time"), 0, 8, 0, 1);
        InterventionSet set = addAt(SITE, 8.0);
        try (Recorder e = new Recorder(256)) {
            for (Evaluation.Kind kind : List.of(Evaluation.Kind.AB, Evaluation.Kind.TEXT)) {
                double[] plain = Evaluation.run(e, model.tokenizer(), spec, set, new Evaluation.Unit(false, kind, 0)).values();
                assertEquals(0, e.steeredCalls(), kind + ": an unsteered unit sets no steering");
                double[] steered = Evaluation.run(e, model.tokenizer(), spec, set, new Evaluation.Unit(true, kind, 0)).values();
                assertEquals(List.of(set), e.steering, kind.name());
                assertNotEquals(plain[0], steered[0], kind + " moved");
                e.steering.clear();
            }
            double[] kl = Evaluation.run(e, model.tokenizer(), spec, set, new Evaluation.Unit(true, Evaluation.Kind.KL, 0)).values();
            assertEquals(List.of(set), e.steering);
            assertTrue(kl[kl.length - 1] > 1e-4, "KL " + kl[kl.length - 1]);
        }
    }

    @Test
    void theLensSteersThroughTheDoorAndItsObserversSeeTheSteeredStream() {
        int[] tokens = model.tokenizer().encode("Once upon a time there was", true);
        try (Recorder e = new Recorder(64)) {
            LogitLens lens = new LogitLens(e, model.weights(), par);
            LensResult plain = lens.run(tokens, null, 2, 3);
            assertEquals(0, e.steeredCalls());
            LensResult steered = lens.run(tokens, addAt(SITE, 10.0), 2, 3);
            assertEquals(1, e.steeredCalls());
            assertEquals(2, e.observerCalls, "the lens reads through observers");
            List<LensResult.Cell> a = plain.lastPosition(), b = steered.lastPosition();
            for (int layer = 0; layer < model.config().nLayers(); layer++) {
                if (layer < SITE.layer()) {
                    assertEquals(a.get(layer).residualNorm(), b.get(layer).residualNorm(), 1e-5, "block " + layer + " is before the edit");
                } else {
                    assertTrue(Math.abs(a.get(layer).residualNorm() - b.get(layer).residualNorm()) > 1e-2,
                            "block " + layer + ": the observer saw the edited stream");
                }
            }
        }
    }

    @Test
    void captureWithSteeringReadsPlainPlusTheEdit() {
        List<Site> sites = List.of(SITE);
        int dim = model.config().dim();
        List<CapturePrompt> prompts = List.of(CapturePrompt.of(model.tokenizer().encode("Lily saw a cat", true), 0));
        float[][] plain = new float[1][], steered = new float[1][];
        try (Recorder e = new Recorder(64)) {
            new ActivationCapture(e, sites, PositionMode.LAST).run(prompts, (i, p, pos, s, x) -> plain[0] = x.clone(), null, false);
            InterventionSet set = addAt(SITE, 3.0);
            new ActivationCapture(e, sites, PositionMode.LAST).run(prompts, (i, p, pos, s, x) -> steered[0] = x.clone(), set, false);
            assertEquals(List.of(set), e.steering);
            float[] v = EvalFixtures.unitVector(dim, 11);
            float[] expected = new float[dim];
            for (int i = 0; i < dim; i++) {
                expected[i] = plain[0][i] + (float) (3.0 * v[i]);
            }
            assertArrayEquals(expected, steered[0], 1e-5f);
            // and the residual reader reads the engine as it is steered now
            assertArrayEquals(plain[0], ActivationCapture.residuals(e).lastToken(prompts.getFirst().tokens())[SITE.layer()], 1e-5f);
        }
    }

    @Test
    void matEvaluationSteersAndReportsGatesThroughTheDoor() {
        Site site = Site.parse("attn_heads:2");
        MatParameters mat = MatParameters.initial(List.of("a", "b"), model.config().dim(), 5);
        McItem item = new McItem("t", "1", "Q: Who helped Sue? A:", List.of(" Her kind mom.", " Nobody at all."), List.of(true, false));
        try (Recorder e = new Recorder(128)) {
            MatEvaluator eval = new MatEvaluator(e, model.tokenizer());
            double plain = eval.score("t", List.of(item), null, site, false).mc2();
            assertEquals(0, e.steeredCalls());
            double steered = eval.score("t", List.of(item), mat, site, false).mc2();
            assertEquals(1, e.steeredCalls());
            assertEquals("gated_edit", e.steering.getFirst().items().getFirst().kind());
            assertNotEquals(plain, steered);
            GateStats stats = eval.gateStats(List.of(item.text(0)), mat, site);
            assertEquals(2, e.steeredCalls());
            assertNotNull(e.gateListeners.getLast(), "gates come from the intervention's own report");
            assertEquals(model.tokenizer().encode(item.text(0), true).length, stats.tokensPerText(), 1e-9);
            assertTrue(eval.meanKl(List.of(item.text(0)), eval.interventions(mat, site)) > 0);
            assertEquals(3, e.steeredCalls());
        }
    }

    @Test
    void ktsEvaluationSteersItsEnginesThroughTheDoor() {
        LlamaConfig c = model.config();
        LoraAdapter adapter = LoraAdapter.initialize(c, 2, 4, EnumSet.of(LoraTarget.Q, LoraTarget.V), 3);
        Random rnd = new Random(3);
        for (Var p : adapter.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.data().set(i, p.data().get(i) + 0.05 * rnd.nextGaussian());
            }
        }
        List<Recorder> engines = new ArrayList<>();
        List<ContrastivePair> pairs = List.of(new ContrastivePair("I am happy and glad.", "I am sad and upset."),
                new ContrastivePair("What a joyful day.", "What a gloomy day."));
        List<int[]> benign = List.of(model.tokenizer().encode("Tom went to the park.", true));
        KtsEvaluation.Report report = KtsEvaluation.run(model.name(), c, model.weights(), model.tokenizer(), adapter, pairs, benign,
                List.of("Once upon a time"), 2.0, List.of(2), true, List.of(0.0, 1.0), 6, 7, par, capacity -> {
                    Recorder r = new Recorder(capacity);
                    engines.add(r);
                    return r;
                }, msg -> { });
        assertEquals(KtsEvaluation.MODELS.size(), engines.size(), "one engine per model, from the factory");
        for (Recorder r : engines) {
            // factor 0 steers nothing; factor 1 steers resid_post:2 by c_max along the model's vector
            assertEquals(1, r.steeredCalls());
            AddVector add = (AddVector) r.steering.getFirst().items().getFirst();
            assertEquals(SITE, add.site());
            assertEquals(2.0, add.strength(), 0);
        }
        assertEquals(KtsEvaluation.MODELS.size() * 2, report.points().size());
    }
}
