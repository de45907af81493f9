package io.jsteer.steering.lens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.capture.StoriesModel;
import io.jsteer.tensor.Parallel;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The logit lens on stories260K, cross-checked against the model's own outputs and the capture path. */
class LogitLensTest {

    static LoadedModel model;
    static Parallel par;
    static int[] prompt;

    @BeforeAll
    static void load() {
        model = StoriesModel.load();
        par = new Parallel(2);
        prompt = model.tokenizer().encode("Once upon a time, there was a little girl named", true);
    }

    @AfterAll
    static void close() {
        par.close();
        model.close();
    }

    /** The model's real next-token distribution after tokens[0..end). */
    static double[] realNext(int[] tokens, int end, InterventionSet steer) {
        try (CpuEngine e = model.newCpuEngine(tokens.length, par)) {
            e.setInterventions(steer);
            return LensResult.Distribution.of(e.prefill(Arrays.copyOf(tokens, end), 0)).p();
        }
    }

    @Test
    void lastBlockIsTheModelsOwnNextTokenDistributionAtEveryPosition() {
        LensResult r;
        try (CpuEngine e = model.newCpuEngine(prompt.length, par)) {
            r = new LogitLens(e, model.weights(), par).run(prompt, null, 6, 5);
        }
        int last = model.config().nLayers() - 1;
        assertEquals(prompt.length - 6, r.first());
        assertEquals(6, r.layers().getFirst().size());
        for (int i = 0; i < 6; i++) {
            // a separate engine run on the prefix ending at this position: the lens must reproduce its output
            double[] real = realNext(prompt, r.first() + i + 1, null);
            double[] lens = r.layers().get(last).get(i).distribution().p();
            for (int v = 0; v < real.length; v++) {
                assertEquals(real[v], lens[v], 1e-6, "position " + (r.first() + i) + ", token " + v);
            }
        }
        assertEquals(r.output(), r.output());
        assertTrue(Arrays.equals(r.output().p(), r.lastPosition().get(last).distribution().p()), "output = lens at the last block");
        // top-k are sorted and are the distribution's largest entries
        LensResult.Cell c = r.lastPosition().get(last);
        double[] sorted = c.distribution().p().clone();
        Arrays.sort(sorted);
        for (int k = 0; k < 5; k++) {
            assertEquals(sorted[sorted.length - 1 - k], c.top().get(k).probability(), 0);
        }
        // earlier blocks predict something else than the final one, at least somewhere (the lens is not trivially constant)
        assertTrue(r.lastPosition().getFirst().distribution().kl(c.distribution()) > 0.01);
    }

    @Test
    void residualNormsMatchTheCapturePath() {
        LensResult r;
        try (CpuEngine e = model.newCpuEngine(prompt.length, par)) {
            r = new LogitLens(e, model.weights(), par).run(prompt, null, 1, 1);
        }
        List<Site> sites = ActivationCapture.allLayers(SiteKind.RESID_POST, model.config().nLayers());
        InMemoryActivations acts = new InMemoryActivations(sites, model.config().dim());
        try (CpuEngine e = model.newCpuEngine(prompt.length, par)) {
            new ActivationCapture(e, sites, PositionMode.LAST).run(List.of(CapturePrompt.of(prompt, 0)), acts, null, false);
        }
        for (int l = 0; l < model.config().nLayers(); l++) {
            float[] x = new float[model.config().dim()];
            acts.copy(sites.get(l), 0, x);
            double ss = 0;
            for (float v : x) {
                ss += (double) v * v;
            }
            // the same up to float rounding between two runs (interpreted vs JIT-compiled kernels)
            assertEquals(Math.sqrt(ss), r.lastPosition().get(l).residualNorm(), 1e-6 * Math.sqrt(ss), "block " + l);
        }
    }

    @Test
    void steeringChangesTheLensFromTheSteeredBlockOnOnly() {
        int dim = model.config().dim(), at = 2;
        float[] v = new float[dim];
        SplittableRandom rnd = new SplittableRandom(5);
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (rnd.nextDouble() - 0.5);
        }
        InterventionSet steer = InterventionSet.of(AddVector.of(new Site(SiteKind.RESID_POST, at), v, 4.0, Positions.ALL));
        LensResult plain, steered;
        try (CpuEngine e = model.newCpuEngine(prompt.length, par)) {
            LogitLens lens = new LogitLens(e, model.weights(), par);
            plain = lens.run(prompt, null, 4, 3);
            steered = lens.run(prompt, steer, 4, 3);
            // the engine is left without hooks: a plain run afterwards gives the unsteered output again
            // (equal up to float rounding: interpreted and JIT-compiled kernels can differ by ~1e-7)
            double[] again = LensResult.Distribution.of(e.prefill(prompt, 0)).p();
            for (int t = 0; t < again.length; t++) {
                assertEquals(plain.output().p()[t], again[t], 1e-6);
            }
        }
        for (int l = 0; l < model.config().nLayers(); l++) {
            for (int i = 0; i < 4; i++) {
                LensResult.Cell a = plain.layers().get(l).get(i), b = steered.layers().get(l).get(i);
                double kl = a.distribution().kl(b.distribution());
                if (l < at) {
                    // unchanged up to float rounding between runs (~1e-7 relative), orders of magnitude below the steered blocks
                    assertEquals(a.residualNorm(), b.residualNorm(), 1e-6 * a.residualNorm(), "block " + l + " is before the steering");
                    assertTrue(kl < 1e-9, "block " + l + " KL " + kl);
                } else {
                    assertTrue(kl > 1e-4, "block " + l + " position " + i + " changed, KL " + kl);
                    assertTrue(Math.abs(a.residualNorm() - b.residualNorm()) > 1e-3, "block " + l);
                }
            }
        }
        // the steered lens's last block is the steered model's real output
        double[] real = realNext(prompt, prompt.length, steer);
        double[] lens = steered.lastPosition().getLast().distribution().p();
        for (int t = 0; t < real.length; t++) {
            assertEquals(real[t], lens[t], 1e-6, "token " + t);
        }
    }

    @Test
    void badArgumentsAreRefused() {
        try (CpuEngine e = model.newCpuEngine(4, par)) {
            LogitLens lens = new LogitLens(e, model.weights(), par);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> lens.run(new int[0], null, 1, 1)).getMessage().contains("no tokens"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> lens.run(new int[] {1, 2, 3, 4, 5}, null, 1, 1))
                    .getMessage().contains("context of 4"));
            assertThrows(IllegalArgumentException.class, () -> lens.run(new int[] {1}, null, 0, 1));
        }
    }
}
