package io.jsteer.steering.capture;

import io.jsteer.model.intervene.Site;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A sink with bounded memory: running sums per (site, class) in double precision, so the class
 * means and their difference come out of a dataset of any size without storing a single hidden
 * state. Memory: sites × classes × dim doubles. Also sums each vector's L2 norm, for scaling a
 * vector to the typical activation size of its layer.
 */
public final class MeanAccumulator implements ActivationSink {

    private final List<Site> sites;
    private final int dim;
    private final int classes;
    private final Map<Site, double[][]> sums = new HashMap<>();   // site → [class][dim]
    private final Map<Site, double[]> normSums = new HashMap<>(); // site → [class]
    private final Map<Site, long[]> counts = new HashMap<>();     // site → [class]

    public MeanAccumulator(List<Site> sites, int dim, int classes) {
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be 1 or more, got " + classes);
        }
        this.sites = List.copyOf(sites);
        this.dim = dim;
        this.classes = classes;
        for (Site s : sites) {
            sums.put(s, new double[classes][dim]);
            normSums.put(s, new double[classes]);
            counts.put(s, new long[classes]);
        }
    }

    @Override
    public void accept(int prompt, CapturePrompt p, int position, Site site, float[] x) {
        double[][] s = sums.get(site);
        if (s == null) {
            throw new IllegalArgumentException("site " + site + " is not one of " + sites);
        }
        int c = p.label();
        if (c >= classes) {
            throw new IllegalArgumentException("prompt " + prompt + " has label " + c + " but the accumulator has "
                    + classes + " classes");
        }
        double[] row = s[c];
        double sq = 0;
        for (int i = 0; i < dim; i++) {
            row[i] += x[i];
            sq += (double) x[i] * x[i];
        }
        normSums.get(site)[c] += Math.sqrt(sq);
        counts.get(site)[c]++;
    }

    public List<Site> sites() { return sites; }

    public int dim() { return dim; }

    public int classes() { return classes; }

    /** Vectors seen at {@code site} for class {@code label}. */
    public long count(Site site, int label) {
        return counts(site)[label];
    }

    /** The mean vector [dim] of class {@code label} at {@code site}. */
    public float[] mean(Site site, int label) {
        long n = count(site, label);
        if (n == 0) {
            throw new IllegalStateException("no activations of class " + label + " at " + site);
        }
        double[] s = sums.get(site)[label];
        float[] m = new float[dim];
        for (int i = 0; i < dim; i++) {
            m[i] = (float) (s[i] / n);
        }
        return m;
    }

    /** mean(positive) − mean(negative) [dim] at {@code site}, computed in double. */
    public float[] meanDifference(Site site, int positive, int negative) {
        long np = count(site, positive), nn = count(site, negative);
        if (np == 0 || nn == 0) {
            throw new IllegalStateException("mean difference at " + site + " needs both classes; counts: class "
                    + positive + " = " + np + ", class " + negative + " = " + nn);
        }
        double[] a = sums.get(site)[positive], b = sums.get(site)[negative];
        float[] d = new float[dim];
        for (int i = 0; i < dim; i++) {
            d[i] = (float) (a[i] / np - b[i] / nn);
        }
        return d;
    }

    /** The mean L2 norm of all vectors seen at {@code site} (all classes). */
    public double meanNorm(Site site) {
        long n = 0;
        double s = 0;
        long[] c = counts(site);
        double[] ns = normSums.get(site);
        for (int k = 0; k < classes; k++) {
            n += c[k];
            s += ns[k];
        }
        if (n == 0) {
            throw new IllegalStateException("no activations at " + site);
        }
        return s / n;
    }

    private long[] counts(Site site) {
        long[] c = counts.get(site);
        if (c == null) {
            throw new IllegalArgumentException("site " + site + " was not accumulated (sites: " + sites + ")");
        }
        return c;
    }
}
