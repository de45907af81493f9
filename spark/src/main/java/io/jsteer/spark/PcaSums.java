package io.jsteer.spark;

import io.jsteer.model.intervene.Site;
import io.jsteer.steering.capture.ActivationSink;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.MeanAccumulator;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.vectors.PairedPca;
import java.io.Serializable;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Streaming statistics for PCA of paired differences: a sink that pairs each positive row with
 * the negative row of the same group (and position, when a prompt gives several rows), adds the
 * difference d to the scatter Σ d dᵀ and the sum Σ d of its site as soon as both rows are in,
 * and keeps the class sums of every row (sign and magnitude of the component). Memory: sites ×
 * dim² doubles plus the rows still waiting for their partner; nothing grows with the dataset.
 * Both prompts of a pair must reach the same sink (the job partitions by group); a row whose
 * partner never comes is left out, as {@link PairedPca#compute} leaves it out.
 */
final class PcaSums implements ActivationSink {

    /**
     * What a task sends back: per site (in the sites' order) the scatter and sum, the pairs, and the class sums.
     */
    record Partial(PairedPca.Scatter[] scatters, int pairs, MeanAccumulator.Partial classes) implements Serializable {}

    private final List<Site> sites;
    private final int dim;
    private final boolean byPosition;
    private final Map<Site, Integer> siteIndex = new HashMap<>();
    private final double[][][] scatter; // [site][dim][dim]
    private final double[][] sum;       // [site][dim]
    private final MeanAccumulator classes;
    private int pairs;
    /** pair key → [label 1, label 0][site] rows waiting for the rest of their pair */
    private final Map<Long, float[][][]> waiting = new LinkedHashMap<>();
    private final Map<Long, Integer> filled = new HashMap<>();

    PcaSums(List<Site> sites, int dim, PositionMode mode) {
        this.sites = List.copyOf(sites);
        this.dim = dim;
        this.byPosition = mode == PositionMode.ALL; // the other modes give one row per prompt: pairs by group
        for (int k = 0; k < sites.size(); k++) {
            siteIndex.put(sites.get(k), k);
        }
        this.scatter = new double[sites.size()][dim][dim];
        this.sum = new double[sites.size()][dim];
        this.classes = new MeanAccumulator(sites, dim, 2);
    }

    @Override
    public void accept(int prompt, CapturePrompt p, int position, Site site, float[] x) {
        classes.accept(prompt, p, position, site, x);
        if (p.group() < 0 || p.label() > 1) {
            return; // no pair to take part in
        }
        long key = byPosition ? ((long) p.group() << 32) | (position & 0xffffffffL) : p.group();
        float[][][] pair = waiting.computeIfAbsent(key, k -> new float[2][sites.size()][]);
        int slot = p.label() == 1 ? 0 : 1;
        int s = siteIndex.get(site);
        if (pair[slot][s] != null) {
            throw new IllegalArgumentException("group " + p.group() + " has two rows of label " + p.label()
                    + (byPosition ? " at position " + position : "") + ": pairs must be one positive and one negative");
        }
        pair[slot][s] = x.clone();
        if (filled.merge(key, 1, Integer::sum) == 2 * sites.size()) {
            add(pair);
            waiting.remove(key);
            filled.remove(key);
        }
    }

    /** d = positive − negative at every site, into the scatter and the sum. */
    private void add(float[][][] pair) {
        double[] d = new double[dim];
        for (int k = 0; k < sites.size(); k++) {
            for (int i = 0; i < dim; i++) {
                d[i] = (double) pair[0][k][i] - pair[1][k][i];
            }
            double[][] s = scatter[k];
            for (int i = 0; i < dim; i++) {
                sum[k][i] += d[i];
                double di = d[i];
                double[] row = s[i];
                for (int j = 0; j < dim; j++) {
                    row[j] += di * d[j];
                }
            }
        }
        pairs++;
    }

    Partial partial() {
        PairedPca.Scatter[] out = new PairedPca.Scatter[sites.size()];
        for (int k = 0; k < sites.size(); k++) {
            out[k] = new PairedPca.Scatter(scatter[k], sum[k]);
        }
        return new Partial(out, pairs, classes.partial());
    }

    /** Adds another task's statistics over the same sites to these. */
    void merge(Partial o) {
        if (o.scatters().length != sites.size()) {
            throw new IllegalArgumentException("cannot merge PCA statistics of " + o.scatters().length + " sites into " + sites.size());
        }
        for (int k = 0; k < sites.size(); k++) {
            double[][] src = o.scatters()[k].scatter();
            for (int i = 0; i < dim; i++) {
                sum[k][i] += o.scatters()[k].sum()[i];
                for (int j = 0; j < dim; j++) {
                    scatter[k][i][j] += src[i][j];
                }
            }
        }
        pairs += o.pairs();
        classes.merge(o.classes());
    }

    /** The mean norm of every row accepted (both classes, paired or not) per layer: the stream's typical size. */
    java.util.SortedMap<Integer, Double> meanNorms() {
        java.util.SortedMap<Integer, Double> out = new java.util.TreeMap<>();
        for (Site s : sites) {
            out.put(s.layer(), classes.meanNorm(s));
        }
        return out;
    }

    /** The merged statistics as {@link PairedPca#fromScatter} takes them. */
    PairedPca.Result pca(PairedPca.Centring centring, io.jsteer.steering.vectors.Magnitude magnitude) {
        Map<Site, PairedPca.Scatter> bySite = new HashMap<>();
        for (int k = 0; k < sites.size(); k++) {
            bySite.put(sites.get(k), new PairedPca.Scatter(scatter[k], sum[k]));
        }
        return PairedPca.fromScatter(bySite, pairs, classes, sites.getFirst().kind(), centring, magnitude);
    }
}
