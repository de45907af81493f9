package io.jsteer.steering.mat.baselines;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

/** ITI and ICV (the MAT-Steer paper's baselines) on planted activations, and end to end on stories260K. */
class BaselinesTest {

    /** Layers 0 and 1, 4 heads of 2; layer 1 head 2 separates true (+2 on its first value) from false. */
    private static InMemoryActivations planted(SiteKind kind, int items) {
        List<Site> sites = List.of(new Site(kind, 0), new Site(kind, 1));
        InMemoryActivations acts = new InMemoryActivations(sites, 8);
        Random rng = new Random(3);
        int prompt = 0;
        for (int g = 0; g < items; g++) {
            for (int label : new int[] {1, 0}) {
                CapturePrompt p = new CapturePrompt(new int[] {1}, label, g, -1);
                for (Site s : sites) {
                    float[] x = new float[8];
                    for (int i = 0; i < 8; i++) {
                        x[i] = (float) rng.nextGaussian();
                    }
                    if (s.layer() == 1 && label == 1) {
                        x[4] += 4;
                    }
                    acts.accept(prompt, p, 0, s, x);
                }
                prompt++;
            }
        }
        return acts;
    }

    @Test
    void itiKeepsTheSeparatingHeadAndShiftsItByAlphaSigmaAlongTheMassMean() {
        InMemoryActivations acts = planted(SiteKind.ATTN_HEADS, 60);
        Iti iti = Iti.fit(acts, 4, 1, 15, 0);
        Iti.Head h = iti.heads().getFirst();
        assertEquals(1, h.layer());
        assertEquals(2, h.head());
        assertTrue(h.heldOutAccuracy() > 0.9, "held-out accuracy " + h.heldOutAccuracy());
        // u and σ by hand over all rows of layer 1, values 4..5
        double[] mt = new double[2], mf = new double[2];
        float[] x = new float[8];
        Site l1 = new Site(SiteKind.ATTN_HEADS, 1);
        for (int r = 0; r < acts.rows(); r++) {
            acts.copy(l1, r, x);
            double[] m = acts.info(r).label() == 1 ? mt : mf;
            m[0] += x[4] / 60.0;
            m[1] += x[5] / 60.0;
        }
        double ux = mt[0] - mf[0], uy = mt[1] - mf[1], n = Math.hypot(ux, uy);
        ux /= n;
        uy /= n;
        assertEquals(ux, h.direction()[0], 1e-5);
        assertEquals(uy, h.direction()[1], 1e-5);
        double s = 0, ss = 0;
        for (int r = 0; r < acts.rows(); r++) {
            acts.copy(l1, r, x);
            double proj = x[4] * ux + x[5] * uy;
            s += proj;
            ss += proj * proj;
        }
        double sigma = Math.sqrt(ss / acts.rows() - (s / acts.rows()) * (s / acts.rows()));
        assertEquals(sigma, h.sigma(), 1e-4);
        SortedMap<Integer, float[]> v = iti.layerVectors(8);
        assertEquals(List.of(1), List.copyOf(v.keySet()));
        float[] expected = new float[8];
        expected[4] = (float) (15 * h.sigma() * h.direction()[0]);
        expected[5] = (float) (15 * h.sigma() * h.direction()[1]);
        assertArrayEquals(expected, v.get(1), 1e-5f);
        // K larger than the model's heads keeps them all
        assertEquals(8, Iti.fit(acts, 4, 48, 15, 0).heads().size());
        assertThrows(IllegalArgumentException.class, () -> Iti.fit(acts, 4, 0, 15, 0));
    }

    @Test
    void icvIsTheFirstComponentPlusTheMeanDifferenceAndItsEditKeepsTheNorm() {
        InMemoryActivations acts = planted(SiteKind.RESID_POST, 40);
        Icv icv = Icv.fit(acts, 0.5);
        float[] v1 = icv.vectors().get(1), v0 = icv.vectors().get(0);
        // the planted shift (+4 on value 4 of layer 1, true − false) dominates both the mean and the component
        assertTrue(v1[4] > 4, "v1[4] = " + v1[4]);
        for (int i = 0; i < 8; i++) {
            if (i != 4) {
                assertTrue(Math.abs(v1[i]) < Math.abs(v1[4]) / 2, "v1[" + i + "] = " + v1[i]);
            }
        }
        assertTrue(norm(v0) < v1[4] / 2, "layer 0 carries no signal: " + norm(v0));

        // the run-time edit: x = −v̂ gets c = 2λ and stays at its norm; x ⟂ v gets c = λ
        float[] v = {3, 0, 0, 4};
        ActivationHook hook = Icv.hook(v, 0.5);
        float[] x = {-0.6f * 10, 0, 0, -0.8f * 10};
        hook.apply(null, 0, true, x);
        // normalise(−v̂ + 1.0·v̂) = 0 → the row stays as it was
        assertArrayEquals(new float[] {-6, 0, 0, -8}, x, 1e-5f);
        float[] y = {0, 2, 0, 0};
        hook.apply(null, 0, true, y);
        // normalise(e₂ + 0.5·(0.6, 0, 0, 0.8))·2
        double nn = Math.sqrt(0.3 * 0.3 + 1 + 0.4 * 0.4);
        assertArrayEquals(new float[] {(float) (2 * 0.3 / nn), (float) (2 / nn), 0, (float) (2 * 0.4 / nn)}, y, 1e-6f);
        assertEquals(2, norm(y), 1e-5);
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += f * (double) f;
        }
        return Math.sqrt(s);
    }

    private static Path shared(String relative) {
        return Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve(relative);
    }

    /** Fitted on stories260K from real choice texts, both edits run through the engine and change the scores. */
    @Test
    void bothBaselinesRunOnStories260K() {
        List<McItem> items = List.of(
                new McItem("t", "1", "Q: How did Lily feel? A:", List.of("She was happy.", "She was sad."), List.of(true, false)),
                new McItem("t", "2", "Q: What did Tom see? A:", List.of("A big dog.", "A scary monster."), List.of(true, false)),
                new McItem("t", "3", "Q: Where is the ball? A:", List.of("In the park.", "Lost forever."), List.of(true, false)),
                new McItem("t", "4", "Q: Was the day good? A:", List.of("Yes, it was fun.", "No, it was bad."), List.of(true, false)),
                new McItem("t", "5", "Q: Who helped Sue? A:", List.of("Her kind mom.", "Nobody at all."), List.of(true, false)));
        try (LoadedModel m = ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
             Parallel par = new Parallel(1); CpuEngine engine = m.newCpuEngine(128, par)) {
            Iti iti = Iti.fit(engine, m.tokenizer(), items, 5, 15, 0, false);
            assertEquals(5, iti.heads().size());
            Icv icv = Icv.fit(engine, m.tokenizer(), items, 0.8, false);
            assertEquals(5, icv.vectors().size());
            MatEvaluator eval = new MatEvaluator(engine, m.tokenizer());
            double base = eval.score("t", items, (io.jsteer.model.intervene.InterventionSet) null, null).mc2();
            double withIti = eval.score("t", items, iti.interventions(m.config()), null).mc2();
            double withIcv = eval.score("t", items, icv.interventions(m.config()), null).mc2();
            assertTrue(Math.abs(withIti - base) > 1e-4, base + " vs ITI " + withIti);
            assertTrue(Math.abs(withIcv - base) > 1e-4, base + " vs ICV " + withIcv);
            // and the unsteered score is back afterwards (no hook left on the engine; a rerun differs by ~3e-9 in the last
            // float bits, far below what either edit moves)
            assertEquals(base, eval.score("t", items, (io.jsteer.model.intervene.InterventionSet) null, null).mc2(), 1e-6);
        }
    }
}
