package io.jsteer.steering.vectors;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import java.util.List;
import java.util.Random;

/** Synthetic captures with a planted direction, for checking methods against a known answer. */
final class Synthetic {

    private Synthetic() {}

    static float[] unit(Random r, int dim) {
        float[] u = new float[dim];
        for (int i = 0; i < dim; i++) {
            u[i] = (float) r.nextGaussian();
        }
        return VectorAlgebra.normalise(u);
    }

    /**
     * {@code pairs} pairs at the given layers of resid_post: negative = base (N(0, spread²) per
     * coordinate plus an offset), positive = base + c·u + N(0, noise²), c uniform in [1, 3].
     * Row 2i is the positive of pair i, row 2i+1 its negative; group = i.
     */
    static InMemoryActivations pairs(Random r, float[] u, int pairs, double spread, double noise, int... layers) {
        int dim = u.length;
        List<Site> sites = java.util.Arrays.stream(layers).mapToObj(l -> new Site(SiteKind.RESID_POST, l)).toList();
        InMemoryActivations acts = new InMemoryActivations(sites, dim);
        for (int i = 0; i < pairs; i++) {
            double c = 1 + 2 * r.nextDouble();
            float[][] pn = new float[2][dim];
            for (int d = 0; d < dim; d++) {
                double base = 3 + spread * r.nextGaussian();
                pn[1][d] = (float) base;
                pn[0][d] = (float) (base + c * u[d] + noise * r.nextGaussian());
            }
            for (int k = 0; k < 2; k++) {
                CapturePrompt p = new CapturePrompt(new int[] {1}, k == 0 ? 1 : 0, i, -1);
                for (Site s : sites) {
                    acts.accept(2 * i + k, p, 0, s, pn[k]);
                }
            }
        }
        return acts;
    }
}
