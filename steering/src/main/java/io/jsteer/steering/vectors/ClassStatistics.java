package io.jsteer.steering.vectors;

import io.jsteer.model.intervene.Site;
import io.jsteer.steering.capture.Activations;

/**
 * Class means and the mean activation norm at one site, from stored rows (labels 1 = positive,
 * 0 = negative). Sums in double.
 *
 * @param positiveMean mean of label-1 rows [dim]
 * @param negativeMean mean of label-0 rows [dim]
 * @param meanNorm     mean L2 norm of all rows at the site
 */
record ClassStatistics(double[] positiveMean, double[] negativeMean, double meanNorm, int positives, int negatives) {

    static ClassStatistics of(Activations acts, Site site) {
        acts.requireSite(site);
        int dim = acts.dim();
        double[] p = new double[dim], n = new double[dim];
        int np = 0, nn = 0;
        double norms = 0;
        float[] v = new float[dim];
        for (int r = 0; r < acts.rows(); r++) {
            acts.copy(site, r, v);
            int label = acts.info(r).label();
            double[] target = label == 1 ? p : label == 0 ? n : null;
            double sq = 0;
            for (int i = 0; i < dim; i++) {
                sq += (double) v[i] * v[i];
                if (target != null) {
                    target[i] += v[i];
                }
            }
            norms += Math.sqrt(sq);
            if (label == 1) {
                np++;
            } else if (label == 0) {
                nn++;
            }
        }
        if (np == 0 || nn == 0) {
            throw new IllegalArgumentException("at " + site + " the capture has " + np + " positive (label 1) and " + nn
                    + " negative (label 0) rows; both classes are needed");
        }
        for (int i = 0; i < dim; i++) {
            p[i] /= np;
            n[i] /= nn;
        }
        return new ClassStatistics(p, n, norms / acts.rows(), np, nn);
    }

    /** positiveMean − negativeMean as floats [dim]. */
    float[] difference() {
        float[] d = new float[positiveMean.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (positiveMean[i] - negativeMean[i]);
        }
        return d;
    }
}
