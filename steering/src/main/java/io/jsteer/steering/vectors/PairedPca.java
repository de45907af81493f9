package io.jsteer.steering.vectors;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.MeanAccumulator;
import io.jsteer.steering.capture.RowInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * PCA of paired differences (positive − negative of each pair), first component per layer, with
 * Commons Math's symmetric eigendecomposition.
 *
 * <p>The sign of a principal component is arbitrary, and an inverted vector is the most reported
 * PCA bug in steering tools. Here it is set by the data: the component is flipped when the
 * positive class mean minus the negative class mean projects negatively on it, so adding +v
 * always moves activations towards the positive class.
 */
public final class PairedPca {

    /**
     * How the differences are centred.
     * <ul>
     *   <li>{@link #PAIR_CENTRED}: each pair is centred on its midpoint, giving the points ±d/2;
     *       their mean is zero, and their covariance is that of the uncentred differences. The
     *       component follows the consistent difference between the classes (repeng's
     *       "pca_center", llama.cpp cvector-generator's PCA of differences).</li>
     *   <li>{@link #DIFF_CENTRED}: the differences minus their mean; the component is the axis
     *       along which the pairs' differences vary most, orthogonal information to the mean
     *       difference.</li>
     * </ul>
     */
    public enum Centring { PAIR_CENTRED, DIFF_CENTRED }

    /**
     * @param vectors           layer → first component, sign-aligned, at the asked magnitude
     * @param explainedVariance layer → share of the differences' variance on the first component
     * @param flipped           layers whose raw component pointed the wrong way and was flipped
     * @param pairs             pairs used per layer
     */
    public record Result(SortedMap<Integer, float[]> vectors, SortedMap<Integer, Double> explainedVariance,
                         List<Integer> flipped, int pairs) {}

    private PairedPca() {}

    /**
     * Pairs are rows of the same group with labels 1 and 0 (one row each per group, e.g. LAST,
     * MEAN or AT captures); with several rows per prompt (ALL) rows pair by group and position.
     */
    public static Result compute(Activations acts, SiteKind kind, Centring centring, Magnitude magnitude) {
        List<int[]> pairs = pairs(acts);
        if (pairs.size() < 2) {
            throw new IllegalArgumentException("PCA of differences needs at least 2 pairs (rows with the same group and"
                    + " labels 1 and 0); the capture has " + pairs.size());
        }
        SortedMap<Integer, float[]> vectors = new TreeMap<>();
        SortedMap<Integer, Double> explained = new TreeMap<>();
        List<Integer> flipped = new ArrayList<>();
        int dim = acts.dim();
        float[] a = new float[dim], b = new float[dim];
        for (Site site : acts.sites()) {
            if (site.kind() != kind) {
                continue;
            }
            double[][] diffs = new double[pairs.size()][dim];
            for (int k = 0; k < pairs.size(); k++) {
                acts.copy(site, pairs.get(k)[0], a);
                acts.copy(site, pairs.get(k)[1], b);
                for (int i = 0; i < dim; i++) {
                    diffs[k][i] = (double) a[i] - b[i];
                }
            }
            if (centring == Centring.DIFF_CENTRED) {
                centre(diffs);
            }
            double[] share = new double[1];
            float[] v = firstComponent(diffs, share);
            ClassStatistics stats = ClassStatistics.of(acts, site);
            put(site, v, share[0], stats.difference(), stats.meanNorm(), magnitude, vectors, explained, flipped);
        }
        MeanDifference.requireSome(vectors, kind);
        return new Result(vectors, explained, flipped, pairs.size());
    }

    /**
     * Streamed statistics of one site's paired differences d = positive − negative, enough for
     * the first component without the rows: the scatter Σ d dᵀ [dim][dim] and the sum Σ d [dim]
     * (for {@link Centring#DIFF_CENTRED}). Scatters of disjoint sets of pairs add up.
     */
    public record Scatter(double[][] scatter, double[] sum) implements java.io.Serializable {}

    /**
     * {@link #compute} from streamed statistics: the same vectors (up to the eigensolver's
     * rounding: here always the eigenvector of the dim × dim scatter, where {@code compute} takes
     * the n × n Gram matrix for fewer pairs than dimensions).
     *
     * @param scatters per site of {@code kind}, the pairs' {@link Scatter}
     * @param pairs    pairs seen (the same at every site)
     * @param classes  class statistics of all rows at the same sites (labels 0 and 1), for the sign and the magnitude
     */
    public static Result fromScatter(Map<Site, Scatter> scatters, int pairs, MeanAccumulator classes, SiteKind kind, Centring centring,
                                     Magnitude magnitude) {
        if (pairs < 2) {
            throw new IllegalArgumentException("PCA of differences needs at least 2 pairs (rows with the same group and"
                    + " labels 1 and 0); the capture has " + pairs);
        }
        SortedMap<Integer, float[]> vectors = new TreeMap<>();
        SortedMap<Integer, Double> explained = new TreeMap<>();
        List<Integer> flipped = new ArrayList<>();
        for (Site site : classes.sites()) {
            if (site.kind() != kind) {
                continue;
            }
            Scatter sc = scatters.get(site);
            int dim = sc.sum().length;
            double[][] s = new double[dim][];
            for (int i = 0; i < dim; i++) {
                s[i] = sc.scatter()[i].clone();
                if (centring == Centring.DIFF_CENTRED) { // Σ (d − μ)(d − μ)ᵀ = Σ d dᵀ − n μ μᵀ, μ = Σ d / n
                    for (int j = 0; j < dim; j++) {
                        s[i][j] -= sc.sum()[i] * sc.sum()[j] / pairs;
                    }
                }
            }
            double[] share = new double[1];
            float[] v = toFloats(topEigenvector(new Array2DRowRealMatrix(s, false), share));
            put(site, v, share[0], classes.meanDifference(site, 1, 0), classes.meanNorm(site), magnitude, vectors, explained, flipped);
        }
        MeanDifference.requireSome(vectors, kind);
        return new Result(vectors, explained, flipped, pairs);
    }

    /** One site's component, sign-aligned with the mean difference and scaled to the asked magnitude. */
    private static void put(Site site, float[] v, double share, float[] meanDiff, double meanNorm, Magnitude magnitude,
                            SortedMap<Integer, float[]> vectors, SortedMap<Integer, Double> explained, List<Integer> flipped) {
        float[] aligned = alignSign(v, meanDiff);
        if (aligned != v) {
            flipped.add(site.layer());
        }
        double length = switch (magnitude) {
            case UNIT -> 1;
            case MEAN_ACTIVATION_NORM -> meanNorm;
            case MEAN_DIFF_NORM -> VectorAlgebra.norm(meanDiff);
        };
        vectors.put(site.layer(), VectorAlgebra.scale(aligned, length));
        explained.put(site.layer(), share);
    }

    /**
     * {@code v} or {@code −v}, whichever has a non-negative projection of the class-mean
     * difference (positive − negative) on it. Returns {@code v} itself when no flip is needed.
     */
    public static float[] alignSign(float[] v, float[] meanDifference) {
        return VectorAlgebra.dot(v, meanDifference) < 0 ? VectorAlgebra.scale(v, -1) : v;
    }

    /** Row indices {positive, negative} of each pair. */
    static List<int[]> pairs(Activations acts) {
        Map<Long, int[]> byKey = new HashMap<>();
        Map<Integer, Integer> rowsPerPrompt = new HashMap<>();
        for (int r = 0; r < acts.rows(); r++) {
            rowsPerPrompt.merge(acts.info(r).prompt(), 1, Integer::sum);
        }
        boolean onePerPrompt = rowsPerPrompt.values().stream().allMatch(c -> c == 1);
        List<Long> order = new ArrayList<>();
        for (int r = 0; r < acts.rows(); r++) {
            RowInfo info = acts.info(r);
            if (info.group() < 0 || info.label() > 1) {
                continue;
            }
            long key = onePerPrompt ? info.group() : ((long) info.group() << 32) | (info.position() & 0xFFFFFFFFL);
            int[] pair = byKey.computeIfAbsent(key, k -> {
                order.add(k);
                return new int[] {-1, -1};
            });
            int slot = info.label() == 1 ? 0 : 1;
            if (pair[slot] >= 0) {
                throw new IllegalArgumentException("group " + info.group() + " has two rows of label " + info.label()
                        + (onePerPrompt ? "" : " at position " + info.position()) + ": pairs must be one positive and one negative");
            }
            pair[slot] = r;
        }
        List<int[]> out = new ArrayList<>();
        for (long k : order) {
            int[] p = byKey.get(k);
            if (p[0] >= 0 && p[1] >= 0) {
                out.add(p);
            }
        }
        return out;
    }

    public static void centre(double[][] x) {
        int d = x[0].length;
        double[] mean = new double[d];
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                mean[i] += row[i] / x.length;
            }
        }
        for (double[] row : x) {
            for (int i = 0; i < d; i++) {
                row[i] -= mean[i];
            }
        }
    }

    /**
     * The top right singular vector of x [n][d] (unit length, arbitrary sign): eigenvector of the
     * d×d scatter XᵀX, or, when n < d, Xᵀu for the top eigenvector u of the n×n Gram matrix XXᵀ
     * (cheaper for few pairs and wide models). {@code share[0]} gets λ₁ / Σλ.
     */
    public static float[] firstComponent(double[][] x, double[] share) {
        int n = x.length, d = x[0].length;
        RealMatrix m = new Array2DRowRealMatrix(x, false);
        boolean gram = n < d;
        RealVector u = topEigenvector(gram ? m.multiply(m.transpose()) : m.transpose().multiply(m), share);
        RealVector v = gram ? m.transpose().operate(u) : u;
        return toFloats(v.mapDivide(v.getNorm()));
    }

    /** The unit eigenvector of the largest eigenvalue λ₁ of a symmetric PSD matrix; {@code share[0]} gets λ₁ / Σ max(λ, 0). */
    private static RealVector topEigenvector(RealMatrix s, double[] share) {
        EigenDecomposition eig = new EigenDecomposition(s);
        double[] values = eig.getRealEigenvalues();
        int top = 0;
        double total = 0;
        for (int i = 0; i < values.length; i++) {
            total += Math.max(0, values[i]);
            if (values[i] > values[top]) {
                top = i;
            }
        }
        if (!(values[top] > 0)) {
            throw new IllegalArgumentException("the differences are all zero: no principal component");
        }
        share[0] = values[top] / total;
        return eig.getEigenvector(top);
    }

    private static float[] toFloats(RealVector v) {
        float[] out = new float[v.getDimension()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) v.getEntry(i);
        }
        return out;
    }
}
