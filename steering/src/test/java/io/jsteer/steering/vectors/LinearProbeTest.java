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
}
