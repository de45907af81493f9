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

    /**
     * The running sums, in the order of {@link #sites()}: what a worker that captured part of a
     * dataset sends back so that another accumulator over the same sites can {@link #merge} it.
     * Copies; serializable (Java serialization) so it can cross process boundaries.
     *
     * @param sums     [site][class][dim] sums of the vectors
     * @param normSums [site][class] sums of their L2 norms
     * @param counts   [site][class] vectors seen
     */
    public record Partial(double[][][] sums, double[][] normSums, long[][] counts) implements java.io.Serializable {}

    /** A copy of the running sums (see {@link Partial}). */
    public Partial partial() {
        int n = sites.size();
        double[][][] s = new double[n][][];
        double[][] ns = new double[n][];
        long[][] c = new long[n][];
        for (int k = 0; k < n; k++) {
            Site site = sites.get(k);
            double[][] src = sums.get(site);
            s[k] = new double[classes][];
            for (int cl = 0; cl < classes; cl++) {
                s[k][cl] = src[cl].clone();
            }
            ns[k] = normSums.get(site).clone();
            c[k] = counts.get(site).clone();
        }
        return new Partial(s, ns, c);
    }

    /**
     * Adds another accumulator's sums (same sites in the same order, same dim and classes) to
     * these: after merging the partials of disjoint parts of a dataset, the means equal those of
     * one pass over all of it up to the order of the double additions (~1e-16 relative).
     */
    public void merge(Partial other) {
        int n = sites.size();
        if (other.sums().length != n || other.normSums().length != n || other.counts().length != n) {
            throw new IllegalArgumentException("cannot merge sums over " + other.sums().length + " sites into an accumulator over "
                    + n + " sites " + sites);
        }
        for (int k = 0; k < n; k++) {
            Site site = sites.get(k);
            double[][] dst = sums.get(site);
            if (other.sums()[k].length != classes || other.normSums()[k].length != classes || other.counts()[k].length != classes) {
                throw new IllegalArgumentException("cannot merge sums of " + other.sums()[k].length + " classes at " + site
                        + " into an accumulator of " + classes + " classes");
            }
            for (int cl = 0; cl < classes; cl++) {
                double[] src = other.sums()[k][cl];
                if (src.length != dim) {
                    throw new IllegalArgumentException("cannot merge sums of dim " + src.length + " at " + site
                            + " into an accumulator of dim " + dim);
                }
                for (int i = 0; i < dim; i++) {
                    dst[cl][i] += src[i];
                }
                normSums.get(site)[cl] += other.normSums()[k][cl];
                counts.get(site)[cl] += other.counts()[k][cl];
            }
        }
    }

    private long[] counts(Site site) {
        long[] c = counts.get(site);
        if (c == null) {
            throw new IllegalArgumentException("site " + site + " was not accumulated (sites: " + sites + ")");
        }
        return c;
    }
}
