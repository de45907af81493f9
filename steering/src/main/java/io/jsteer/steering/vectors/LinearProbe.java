package io.jsteer.steering.vectors;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.RowInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Linear probes: L2-regularised logistic regression per layer separating label 1 from label 0,
 * trained by Nesterov-accelerated full-batch gradient descent (step 1/L with L the loss's
 * smoothness constant, so it converges without tuning). The held-out accuracy per layer shows
 * where the concept is linearly readable and picks layers; the probe direction is the
 * normalised weight vector (it points towards label 1).
 *
 * <p>Rows are split into train and held-out sets by group when groups are set (the two prompts
 * of a pair stay together, so the held-out score is not inflated by a seen twin), otherwise by
 * row, after a seeded shuffle. Features are centred on the train mean and divided by one scalar
 * (their RMS), which leaves the direction in activation space unchanged.
 */
public final class LinearProbe {

    /**
     * @param l2              L2 penalty λ on the weights (not the bias): loss + λ/2 |w|²
     * @param iterations      gradient steps
     * @param heldOutFraction share of rows (or groups) held out, 0 < f < 1
     * @param seed            the split's shuffle
     */
    public record Options(double l2, int iterations, double heldOutFraction, long seed) {
        public Options {
            if (l2 < 0 || iterations < 1 || !(heldOutFraction > 0 && heldOutFraction < 1)) {
                throw new IllegalArgumentException("probe options: l2 " + l2 + " (≥ 0), iterations " + iterations
                        + " (≥ 1), held-out fraction " + heldOutFraction + " (in (0, 1))");
            }
        }

        public static Options defaults() {
            return new Options(1e-3, 500, 0.25, 0);
        }
    }

    /**
     * One layer's probe.
     *
     * @param direction       unit weight vector in activation space [dim], towards label 1
     * @param heldOutAccuracy accuracy on the held-out rows
     */
    public record LayerProbe(float[] direction, double trainAccuracy, double heldOutAccuracy, int trainRows, int heldOutRows) {}

    public record Result(SortedMap<Integer, LayerProbe> layers) {

        public SortedMap<Integer, float[]> directions() {
            SortedMap<Integer, float[]> d = new TreeMap<>();
            layers.forEach((l, p) -> d.put(l, p.direction()));
            return d;
        }

        public SortedMap<Integer, Double> heldOutAccuracy() {
            SortedMap<Integer, Double> a = new TreeMap<>();
            layers.forEach((l, p) -> a.put(l, p.heldOutAccuracy()));
            return a;
        }

        /** The {@code k} layers with the best held-out accuracy (ties: lower layer first), best first. */
        public List<Integer> bestLayers(int k) {
            List<Integer> l = new ArrayList<>(layers.keySet());
            l.sort(Comparator.comparingDouble((Integer x) -> -layers.get(x).heldOutAccuracy()).thenComparing(x -> x));
            return List.copyOf(l.subList(0, Math.min(k, l.size())));
        }
    }

    private LinearProbe() {}

    public static Result train(Activations acts, SiteKind kind, Options options) {
        boolean[] heldOut = split(acts, options);
        SortedMap<Integer, LayerProbe> out = new TreeMap<>();
        for (Site site : acts.sites()) {
            if (site.kind() == kind) {
                out.put(site.layer(), trainLayer(acts, site, heldOut, options));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no " + kind.label() + " sites were captured");
        }
        return new Result(out);
    }

    /** true = held out. Rows with labels other than 0/1 take no part (they are marked neither way and skipped later). */
    public static boolean[] split(Activations acts, Options o) {
        int rows = acts.rows();
        boolean grouped = true;
        LinkedHashSet<Integer> groups = new LinkedHashSet<>();
        for (int r = 0; r < rows; r++) {
            RowInfo info = acts.info(r);
            grouped &= info.group() >= 0;
            groups.add(info.group());
        }
        List<Integer> units = new ArrayList<>();
        if (grouped) {
            units.addAll(groups);
        } else {
            for (int r = 0; r < rows; r++) {
                units.add(r);
            }
        }
        Collections.shuffle(units, new Random(o.seed()));
        int nHeld = (int) Math.round(units.size() * o.heldOutFraction());
        if (nHeld < 1 || nHeld >= units.size()) {
            throw new IllegalArgumentException("cannot hold out " + o.heldOutFraction() + " of " + units.size()
                    + (grouped ? " groups" : " rows") + ": need at least one to train on and one to test");
        }
        java.util.Set<Integer> held = new java.util.HashSet<>(units.subList(0, nHeld));
        boolean[] out = new boolean[rows];
        for (int r = 0; r < rows; r++) {
            out[r] = held.contains(grouped ? acts.info(r).group() : r);
        }
        return out;
    }

    private static LayerProbe trainLayer(Activations acts, Site site, boolean[] heldOut, Options o) {
        int dim = acts.dim();
        List<double[]> trainX = new ArrayList<>(), testX = new ArrayList<>();
        List<Integer> trainY = new ArrayList<>(), testY = new ArrayList<>();
        float[] v = new float[dim];
        for (int r = 0; r < acts.rows(); r++) {
            int label = acts.info(r).label();
            if (label > 1) {
                continue;
            }
            acts.copy(site, r, v);
            double[] x = new double[dim];
            for (int i = 0; i < dim; i++) {
                x[i] = v[i];
            }
            (heldOut[r] ? testX : trainX).add(x);
            (heldOut[r] ? testY : trainY).add(label);
        }
        return fit(trainX.toArray(double[][]::new), trainY.stream().mapToInt(Integer::intValue).toArray(),
                testX.toArray(double[][]::new), testY.stream().mapToInt(Integer::intValue).toArray(), o, "probe at " + site);
    }

    /**
     * One probe on rows already split: train {@code [n][dim]} with labels 0/1, held-out rows likewise
     * (may be empty). The rows are centred and scaled in place. {@code where} names the probe in errors.
     */
    public static LayerProbe fit(double[][] xs, int[] ys, double[][] ts, int[] testLabels, Options o, String where) {
        int dim = xs.length == 0 ? 0 : xs[0].length;
        if (java.util.Arrays.stream(ys).noneMatch(y -> y == 0) || java.util.Arrays.stream(ys).noneMatch(y -> y == 1)) {
            throw new IllegalArgumentException(where + ": the training rows do not hold both classes");
        }
        // centre on the train mean, scale by one RMS: [n][dim]
        double[] mean = new double[dim];
        for (double[] x : xs) {
            for (int i = 0; i < dim; i++) {
                mean[i] += x[i] / xs.length;
            }
        }
        double ss = 0;
        for (double[] x : xs) {
            for (int i = 0; i < dim; i++) {
                x[i] -= mean[i];
                ss += x[i] * x[i];
            }
        }
        double scale = Math.sqrt(ss / xs.length);
        if (scale == 0) {
            scale = 1;
        }
        for (double[] x : xs) {
            for (int i = 0; i < dim; i++) {
                x[i] /= scale;
            }
        }
        double[] wb = fit(xs, ys, o.l2(), o.iterations());
        float[] w = new float[dim];
        for (int i = 0; i < dim; i++) {
            w[i] = (float) wb[i];
        }
        double wn = VectorAlgebra.norm(w);
        float[] direction = wn > 0 ? VectorAlgebra.scale(w, 1 / wn) : w;
        double trainAcc = accuracy(xs, ys, wb);
        for (double[] x : ts) {
            for (int i = 0; i < dim; i++) {
                x[i] = (x[i] - mean[i]) / scale;
            }
        }
        double testAcc = ts.length == 0 ? Double.NaN : accuracy(ts, testLabels, wb);
        return new LayerProbe(direction, trainAcc, testAcc, xs.length, ts.length);
    }

    static double accuracy(double[][] x, int[] y, double[] wb) {
        int ok = 0;
        for (int k = 0; k < x.length; k++) {
            if ((logit(x[k], wb) > 0 ? 1 : 0) == y[k]) {
                ok++;
            }
        }
        return (double) ok / x.length;
    }

    /** w·x + b, with b the last entry of wb. */
    static double logit(double[] x, double[] wb) {
        double z = wb[x.length];
        for (int i = 0; i < x.length; i++) {
            z += wb[i] * x[i];
        }
        return z;
    }

    /** Mean log-loss plus λ/2 |w|² (bias unpenalised). */
    static double loss(double[][] x, int[] y, double[] wb, double l2) {
        double s = 0;
        for (int k = 0; k < x.length; k++) {
            double z = logit(x[k], wb);
            // log(1 + e^{-z}) for y = 1, log(1 + e^{z}) for y = 0, computed stably
            double m = y[k] == 1 ? -z : z;
            s += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
        }
        double reg = 0;
        for (int i = 0; i < x[0].length; i++) {
            reg += wb[i] * wb[i];
        }
        return s / x.length + 0.5 * l2 * reg;
    }

    static double[] gradient(double[][] x, int[] y, double[] wb, double l2) {
        int d = x[0].length;
        double[] g = new double[d + 1];
        for (int k = 0; k < x.length; k++) {
            double r = sigmoid(logit(x[k], wb)) - y[k];
            for (int i = 0; i < d; i++) {
                g[i] += r * x[k][i];
            }
            g[d] += r;
        }
        for (int i = 0; i <= d; i++) {
            g[i] /= x.length;
        }
        for (int i = 0; i < d; i++) {
            g[i] += l2 * wb[i];
        }
        return g;
    }

    private static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    /**
     * Minimises {@link #loss} by Nesterov's accelerated gradient with step 1/L, where
     * L = λ + ¼·λmax([X 1]ᵀ[X 1])/n bounds the Hessian (λmax by power iteration).
     * Returns w [d] followed by b.
     */
    static double[] fit(double[][] x, int[] y, double l2, int iterations) {
        int d = x[0].length;
        double lipschitz = l2 + 0.25 * largestEigenvalue(x) / x.length;
        double step = 1 / lipschitz;
        double[] theta = new double[d + 1], previous = new double[d + 1], phi = new double[d + 1];
        for (int k = 0; k < iterations; k++) {
            double[] g = gradient(x, y, phi, l2);
            System.arraycopy(theta, 0, previous, 0, d + 1);
            for (int i = 0; i <= d; i++) {
                theta[i] = phi[i] - step * g[i];
            }
            double momentum = k / (k + 3.0);
            for (int i = 0; i <= d; i++) {
                phi[i] = theta[i] + momentum * (theta[i] - previous[i]);
            }
        }
        return theta;
    }

    /** λmax of [X 1]ᵀ[X 1] by 100 power iterations, padded by 1% (an upper bound is what the step needs). */
    private static double largestEigenvalue(double[][] x) {
        int d = x[0].length;
        double[] v = new double[d + 1];
        java.util.Arrays.fill(v, 1 / Math.sqrt(d + 1));
        double lambda = 0;
        for (int it = 0; it < 100; it++) {
            double[] av = new double[d + 1];
            for (double[] row : x) {
                double z = v[d];
                for (int i = 0; i < d; i++) {
                    z += row[i] * v[i];
                }
                for (int i = 0; i < d; i++) {
                    av[i] += z * row[i];
                }
                av[d] += z;
            }
            double n = 0;
            for (double a : av) {
                n += a * a;
            }
            n = Math.sqrt(n);
            if (n == 0) {
                return 1;
            }
            lambda = n;
            for (int i = 0; i <= d; i++) {
                v[i] = av[i] / n;
            }
        }
        return lambda * 1.01;
    }
}
