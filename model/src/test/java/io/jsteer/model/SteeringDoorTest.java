package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.Parallel;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The engine's two doors: {@code setInterventions} steers, {@code setHooks} observes. They neither
 * replace each other nor depend on the order they are set in, and an observer at an edited site
 * sees the edited activation.
 */
class SteeringDoorTest {

    private static final int[] PROMPT = {1, 317, 269, 274, 287, 263, 377, 267};
    private static final Site SITE = Site.parse("resid_post:2");

    /** Observed rows at SITE per position and the last logits, for one way of setting up the engine. */
    private record Run(float[][] seen, float[] logits) {}

    private interface Setup {
        void apply(CpuEngine e, Hooks observer);
    }

    private static Run run(LoadedModel m, Setup setup) {
        float[][] seen = new float[PROMPT.length][];
        Hooks observer = new Hooks(m.config().nLayers()).add(SITE, (s, pos, inPrompt, x) -> seen[pos] = x.clone());
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 32, new Parallel(1))) {
            setup.apply(e, observer);
            return new Run(seen, e.prefill(PROMPT, 0).clone());
        }
    }

    private static float[] vector(int dim) {
        SplittableRandom r = new SplittableRandom(3);
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void observersSeeTheSteeredActivationAtTheirSite() {
        LoadedModel m = TestModels.storiesBin();
        float[] v = vector(m.config().dim());
        double strength = 2.5;
        InterventionSet steer = InterventionSet.of(AddVector.of(SITE, v, strength, Positions.ALL));
        Run plain = run(m, (e, o) -> e.setHooks(o));
        Run steered = run(m, (e, o) -> {
            e.setHooks(o);
            e.setInterventions(steer);
        });
        // resid_post:2 of every position is computed before that position's edit, and the edit only
        // reaches later blocks, so each observed row is exactly the plain row plus strength·v (in float)
        for (int pos = 0; pos < PROMPT.length; pos++) {
            float[] expected = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                expected[i] = plain.seen()[pos][i] + (float) (strength * v[i]);
            }
            assertArrayEquals(expected, steered.seen()[pos], 1e-5f, "position " + pos);
        }
        assertNotEquals(plain.logits()[400], steered.logits()[400]);
    }

    @Test
    void theDoorsAreIndependentOfOrderAndOfEachOther() {
        LoadedModel m = TestModels.storiesBin();
        InterventionSet steer = InterventionSet.of(AddVector.of(SITE, vector(m.config().dim()), -3.0, Positions.ALL));
        Run observersFirst = run(m, (e, o) -> {
            e.setHooks(o);
            e.setInterventions(steer);
        });
        Run steeringFirst = run(m, (e, o) -> {
            e.setInterventions(steer);
            e.setHooks(o);
        });
        assertArrayEquals(observersFirst.logits(), steeringFirst.logits(), 1e-5f);
        for (int pos = 0; pos < PROMPT.length; pos++) {
            assertArrayEquals(observersFirst.seen()[pos], steeringFirst.seen()[pos], 1e-5f);
        }
        // removing the observers keeps the steering: the same logits as steering alone
        Run steeringOnly = run(m, (e, o) -> e.setInterventions(steer));
        Run observersRemoved = run(m, (e, o) -> {
            e.setInterventions(steer);
            e.setHooks(o);
            e.setHooks(null);
        });
        assertArrayEquals(steeringOnly.logits(), observersRemoved.logits(), 1e-5f);
        assertArrayEquals(steeringOnly.logits(), observersFirst.logits(), 1e-5f, "observers change no logit");
        assertEquals(null, observersRemoved.seen()[0], "a removed observer is not called");
        // removing the steering keeps the observers: they see the plain stream
        Run plain = run(m, (e, o) -> e.setHooks(o));
        Run steeringRemoved = run(m, (e, o) -> {
            e.setHooks(o);
            e.setInterventions(steer);
            e.setInterventions(null);
        });
        assertArrayEquals(plain.logits(), steeringRemoved.logits(), 1e-5f);
        for (int pos = 0; pos < PROMPT.length; pos++) {
            assertArrayEquals(plain.seen()[pos], steeringRemoved.seen()[pos], 1e-5f);
        }
    }

    @Test
    void anObserverThatEditsIsCaughtWithAssertionsOn() {
        LoadedModel m = TestModels.storiesBin();
        Hooks editing = new Hooks(m.config().nLayers()).add(SITE, (s, pos, inPrompt, x) -> x[3] *= 2);
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 32, new Parallel(1))) {
            e.setInterventions(InterventionSet.of(AddVector.of(SITE, vector(m.config().dim()), 1, Positions.ALL)));
            e.setHooks(editing);
            AssertionError err = assertThrows(AssertionError.class, () -> e.prefill(PROMPT, 0));
            assertTrue(err.getMessage().contains("resid_post:2") && err.getMessage().contains("setInterventions"), err.getMessage());
        }
    }
}
