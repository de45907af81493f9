package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearProbeTest {

    @Test
    void gradientMatchesFiniteDifferences() {
        Random r = new Random(5);
        double[][] x = new double[15][4];
        int[] y = new int[15];
        for (int k = 0; k < x.length; k++) {
            for (int i = 0; i < 4; i++) {
                x[k][i] = r.nextGaussian();
            }
            y[k] = r.nextBoolean() ? 1 : 0;
        }
        double[] wb = {0.3, -0.7, 1.1, 0.2, -0.4};
        double l2 = 0.05;
        double[] g = LinearProbe.gradient(x, y, wb, l2);
        for (int i = 0; i < wb.length; i++) {
            double h = 1e-6;
            double[] p = wb.clone(), m = wb.clone();
            p[i] += h;
            m[i] -= h;
            double fd = (LinearProbe.loss(x, y, p, l2) - LinearProbe.loss(x, y, m, l2)) / (2 * h);
            assertEquals(fd, g[i], 1e-7 * Math.max(1, Math.abs(fd)), "d loss / d wb[" + i + "]");
        }
    }

    @Test
    void fitReachesTheMinimum() {
        Random r = new Random(6);
        double[][] x = new double[60][3];
        int[] y = new int[60];
        for (int k = 0; k < x.length; k++) {
            for (int i = 0; i < 3; i++) {
                x[k][i] = r.nextGaussian();
            }
            y[k] = x[k][0] + 0.5 * r.nextGaussian() > 0 ? 1 : 0; // overlapping classes: a finite optimum
        }
        double[] wb = LinearProbe.fit(x, y, 0.01, 2000);
        double[] g = LinearProbe.gradient(x, y, wb, 0.01);
        for (double gi : g) {
            assertEquals(0, gi, 1e-6, "gradient at the optimum");
        }
    }

    @Test
    void separableLayerIsFoundAndNoiseLayerIsNot() {
        Random r = new Random(7);
        int dim = 10, n = 200;
        float[] u = Synthetic.unit(r, dim);
        List<Site> sites = List.of(new Site(SiteKind.RESID_POST, 0), new Site(SiteKind.RESID_POST, 1));
        InMemoryActivations acts = new InMemoryActivations(sites, dim);
        for (int k = 0; k < n; k++) {
            int label = k % 2;
            float[] informative = new float[dim], noise = new float[dim];
            for (int i = 0; i < dim; i++) {
                informative[i] = (float) (r.nextGaussian() + (label == 1 ? 2.5 : -2.5) * u[i]);
                noise[i] = (float) r.nextGaussian();
            }
            CapturePrompt p = CapturePrompt.of(new int[] {1}, label);
            acts.accept(k, p, 0, sites.get(0), noise);
            acts.accept(k, p, 0, sites.get(1), informative);
        }
        LinearProbe.Result res = LinearProbe.train(acts, SiteKind.RESID_POST, LinearProbe.Options.defaults());
        LinearProbe.LayerProbe good = res.layers().get(1), bad = res.layers().get(0);
        assertEquals(50, good.heldOutRows());
        assertEquals(150, good.trainRows());
        assertTrue(good.heldOutAccuracy() >= 0.98, "informative layer: " + good.heldOutAccuracy());
        assertTrue(bad.heldOutAccuracy() < 0.75, "noise layer: " + bad.heldOutAccuracy());
        assertTrue(VectorAlgebra.cosine(good.direction(), u) > 0.9, "probe direction follows u");
        assertEquals(List.of(1, 0), res.bestLayers(2));
        assertEquals(1, VectorAlgebra.norm(good.direction()), 1e-5);
    }

    @Test
    void pairsStayTogetherInTheSplit() {
        Random r = new Random(8);
        InMemoryActivations acts = Synthetic.pairs(r, Synthetic.unit(r, 6), 40, 1, 0.1, 0);
        boolean[] held = LinearProbe.split(acts, LinearProbe.Options.defaults());
        int heldRows = 0;
        for (int row = 0; row < acts.rows(); row += 2) {
            assertEquals(held[row], held[row + 1], "the two rows of pair " + row / 2);
            heldRows += held[row] ? 2 : 0;
        }
        assertEquals(20, heldRows); // 10 of 40 groups
    }

    /** A gate file as kts.gate.LinearProbe wrote it before the two probe classes were folded into this one. */
    @Test
    void gateProbeFileWrittenBeforeTheFoldStillLoads(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var file = java.nio.file.Files.writeString(dir.resolve("gate.json"), """
                {
                  "kind" : "kts-linear-probe",
                  "site" : "resid_post:3",
                  "threshold" : 0.4,
                  "weight" : [ [ 0.5, -1.0 ], [ -0.25, 2.0 ] ],
                  "bias" : [ 0.1, -0.3 ],
                  "mean" : [ 1.0, 0.0 ],
                  "std" : [ 2.0, 0.5 ]
                }
                """);
        LinearProbe.Saved saved = LinearProbe.load(file);
        assertEquals(3, saved.probe().layer());
        assertEquals(0.4, saved.threshold());
        // z = ((3 − 1) / 2, (1 − 0) / 0.5) = (1, 2); logits 0.1 + 0.5 − 2 = −1.4 and −0.3 − 0.25 + 4 = 3.45
        assertEquals(1 / (1 + Math.exp(-1.4 - 3.45)), saved.probe().score(new float[] {3, 1}), 1e-6);
        // and a probe saved now reads back the same
        saved.probe().save(dir.resolve("again.json"), 0.4);
        assertEquals(saved.probe().score(new float[] {-2, 0.5f}), LinearProbe.load(dir.resolve("again.json")).probe().score(new float[] {-2, 0.5f}), 1e-7);
    }

    /**
     * The two trainings of the one probe class on the same rows: both separate two shifted Gaussian
     * clouds; the logistic one is the extraction fit (same direction as {@link LinearProbe#fit} on
     * the same rows) stored as a scoring probe, whose score is the sigmoid of that fit's logit.
     */
    @Test
    void softmaxAndLogisticTrainingsOfTheOneProbe() {
        Random r = new Random(8);
        int n = 60, dim = 6;
        List<float[]> x = new java.util.ArrayList<>();
        List<Boolean> flagged = new java.util.ArrayList<>();
        for (int k = 0; k < n; k++) {
            boolean f = k % 2 == 0;
            float[] row = new float[dim];
            for (int i = 0; i < dim; i++) {
                row[i] = (float) (r.nextGaussian() + (i == 2 ? (f ? 2.5 : -2.5) : 0) + 3);
            }
            x.add(row);
            flagged.add(f);
        }
        for (LinearProbe.Training how : List.of(LinearProbe.Softmax.gate(300, 1), new LinearProbe.Logistic(1e-3, 500))) {
            LinearProbe p = LinearProbe.train(4, x, flagged, how);
            int right = 0;
            for (int k = 0; k < n; k++) {
                right += (p.score(x.get(k)) > 0.5) == flagged.get(k) ? 1 : 0;
            }
            assertTrue(right >= n - 2, how + ": " + right + " of " + n);
            assertEquals(4, p.layer());
        }
        LinearProbe logistic = LinearProbe.train(4, x, flagged, new LinearProbe.Logistic(1e-3, 500));
        double[][] xs = new double[n][dim];
        int[] ys = new int[n];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < dim; i++) {
                xs[k][i] = x.get(k)[i];
            }
            ys[k] = flagged.get(k) ? 1 : 0;
        }
        LinearProbe.LayerProbe viaFit = LinearProbe.fit(xs, ys, new double[0][], new int[0], new LinearProbe.Options(1e-3, 500, 0.25, 0), "t");
        float[] w = logistic.weight()[1];
        double wn = VectorAlgebra.norm(w);
        for (int i = 0; i < dim; i++) {
            assertEquals(0, logistic.weight()[0][i]);
            assertEquals(viaFit.direction()[i], w[i] / wn, 1e-6, "direction [" + i + "]");
        }
        // the logistic probe's score is sigmoid(w·(x − mean)/rms + b): recompute it from the stored numbers
        float[] row = x.get(3);
        double z = logistic.bias()[1] - logistic.bias()[0];
        for (int i = 0; i < dim; i++) {
            z += w[i] * (row[i] - logistic.mean()[i]) / logistic.std()[i];
        }
        assertEquals(1 / (1 + Math.exp(-z)), logistic.score(row), 1e-6);
        assertEquals(logistic.std()[0], logistic.std()[dim - 1], "one RMS for every dimension");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new LinearProbe.Softmax(0, 1e-2, 0, 1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LinearProbe.train(0, x, x.stream().map(v -> true).toList(), new LinearProbe.Logistic(0, 10)));
    }
}
