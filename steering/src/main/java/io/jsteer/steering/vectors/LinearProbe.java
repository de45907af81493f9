package io.jsteer.steering.vectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.RowInfo;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.tensor.optim.AdamW;
import io.jsteer.tensor.optim.LearningRateSchedule;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.InputFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Linear probes: a linear classifier on a residual-stream vector, label 1 (flagged, the concept)
 * against label 0. One class, two ways to train it ({@link Training}):
 *
 * <ul>
 *   <li>{@link Logistic}: L2-regularised logistic regression by Nesterov-accelerated full-batch
 *       gradient descent (step 1/L with L the loss's smoothness constant, so it converges without
 *       tuning), on features centred on the train mean and divided by one scalar (their RMS), which
 *       leaves the direction in activation space unchanged. Extraction uses it per layer
 *       ({@link #train(Activations, SiteKind, Options)}): the held-out accuracy per layer shows where
 *       the concept is linearly readable and picks layers; the probe direction is the normalised
 *       weight vector (it points towards label 1).</li>
 *   <li>{@link Softmax}: the KTS gate's classifier (spec §3): one linear layer with two outputs,
 *       cross-entropy, AdamW for a fixed number of full-batch epochs, on features standardised per
 *       dimension with the training set's mean and standard deviation.</li>
 * </ul>
 *
 * Either way the trained probe is this record, whose score is P(flagged | x) =
 * softmax(W·z + b)[1] with z = (x − mean) / std; {@link #save} / {@link #load} keep it as the
 * gate's JSON file. A logistic probe is stored as two rows, {0, w} and {0, b}: softmax of two
 * logits is the sigmoid of their difference.
 *
 * <p>For per-layer extraction, rows are split into train and held-out sets by group when groups
 * are set (the two prompts of a pair stay together, so the held-out score is not inflated by a
 * seen twin), otherwise by row, after a seeded shuffle.
 *
 * @param weight [2][dim] (row 1: flagged), bias [2], mean/std [dim]
 */
public record LinearProbe(int layer, float[][] weight, float[] bias, float[] mean, float[] std) {

    /** How a probe is trained. */
    public sealed interface Training permits Logistic, Softmax {}

    /**
     * L2-regularised logistic regression, Nesterov's accelerated gradient.
     *
     * @param l2         L2 penalty λ on the weights (not the bias): loss + λ/2 |w|²
     * @param iterations gradient steps
     */
    public record Logistic(double l2, int iterations) implements Training {
        public Logistic {
            if (l2 < 0 || iterations < 1) {
                throw new IllegalArgumentException("logistic probe: l2 " + l2 + " (≥ 0), iterations " + iterations + " (≥ 1)");
            }
        }
    }

    /**
     * Two-output softmax with cross-entropy, AdamW at a constant rate, full batch.
     *
     * @param epochs       full-batch steps
     * @param learningRate AdamW's rate
     * @param weightDecay  AdamW's decoupled weight decay
     * @param seed         the initial weights' draw
     */
    public record Softmax(int epochs, double learningRate, double weightDecay, long seed) implements Training {
        public Softmax {
            if (epochs < 1 || !(learningRate > 0) || weightDecay < 0) {
                throw new IllegalArgumentException("softmax probe: epochs " + epochs + " (≥ 1), learning rate " + learningRate
                        + " (> 0), weight decay " + weightDecay + " (≥ 0)");
            }
        }

        /** The KTS gate's settings: spec §3's weight decay 1e-3; a larger rate than its 1e-3 keeps the demo's epoch count small. */
        public static Softmax gate(int epochs, long seed) {
            return new Softmax(epochs, 1e-2, 1e-3, seed);
        }
    }

    /**
     * Options of per-layer extraction probes.
     *
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

        /** The fit these options ask for. */
        public Logistic training() {
            return new Logistic(l2, iterations);
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
        if (Arrays.stream(ys).noneMatch(y -> y == 0) || Arrays.stream(ys).noneMatch(y -> y == 1)) {
            throw new IllegalArgumentException(where + ": the training rows do not hold both classes");
        }
        double[] mean = new double[dim];
        double scale = centreAndScale(xs, mean);
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

    /** Centres the rows [n][dim] on their mean (written to {@code mean}) and divides them by one RMS, in place; returns the RMS. */
    private static double centreAndScale(double[][] xs, double[] mean) {
        int dim = mean.length;
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
        return scale;
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
        Arrays.fill(v, 1 / Math.sqrt(d + 1));
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

    /** The KTS gate's probe: {@link Softmax#gate} settings. */
    public static LinearProbe train(int layer, List<float[]> x, List<Boolean> flagged, int epochs, long seed) {
        return train(layer, x, flagged, Softmax.gate(epochs, seed));
    }

    /** Trains on {@code x} (one row per prompt, [n][dim]) with labels (true: flagged) the way {@code how} says. */
    public static LinearProbe train(int layer, List<float[]> x, List<Boolean> flagged, Training how) {
        if (x.size() != flagged.size() || x.isEmpty()) {
            throw new IllegalArgumentException("probe training needs one label per example, got " + x.size() + " and " + flagged.size());
        }
        if (!flagged.contains(true) || !flagged.contains(false)) {
            throw new IllegalArgumentException("probe training needs both flagged and benign examples");
        }
        return switch (how) {
            case Softmax s -> trainSoftmax(layer, x, flagged, s);
            case Logistic l -> trainLogistic(layer, x, flagged, l);
        };
    }

    private static LinearProbe trainSoftmax(int layer, List<float[]> x, List<Boolean> flagged, Softmax how) {
        int n = x.size(), dim = x.get(0).length;
        float[] mean = new float[dim], std = new float[dim];
        for (float[] row : x) {
            for (int i = 0; i < dim; i++) {
                mean[i] += row[i] / n;
            }
        }
        for (float[] row : x) {
            for (int i = 0; i < dim; i++) {
                std[i] += (row[i] - mean[i]) * (row[i] - mean[i]) / n;
            }
        }
        for (int i = 0; i < dim; i++) {
            std[i] = (float) Math.max(1e-6, Math.sqrt(std[i]));
        }
        double[] features = new double[n * dim];
        int[] labels = new int[n];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < dim; i++) {
                features[r * dim + i] = (x.get(r)[i] - mean[i]) / std[i];
            }
            labels[r] = flagged.get(r) ? 1 : 0;
        }
        Random rnd = new Random(how.seed());
        double[] w0 = new double[2 * dim];
        for (int i = 0; i < w0.length; i++) {
            w0[i] = rnd.nextGaussian() * 0.01;
        }
        Var w = Var.param(Precision.F64, w0, 2, dim);
        Var b = Var.zerosParam(Precision.F64, 2);
        AdamW opt = new AdamW(List.of(w, b), LearningRateSchedule.constant(how.learningRate()), how.weightDecay());
        for (int e = 0; e < how.epochs(); e++) {
            Tape tape = new Tape(Precision.F64);
            Var logits = tape.add(tape.linear(tape.constant(features, n, dim), w), b);
            opt.zeroGrad();
            tape.backward(tape.crossEntropy(logits, labels));
            opt.step();
        }
        float[][] wf = {Arrays.copyOfRange(w.toFloatArray(), 0, dim), Arrays.copyOfRange(w.toFloatArray(), dim, 2 * dim)};
        return new LinearProbe(layer, wf, b.toFloatArray(), mean, std);
    }

    /** Logistic regression on centred rows scaled by one RMS; kept as rows {0, w} / biases {0, b}. */
    private static LinearProbe trainLogistic(int layer, List<float[]> x, List<Boolean> flagged, Logistic how) {
        int n = x.size(), dim = x.get(0).length;
        double[][] xs = new double[n][dim];
        int[] ys = new int[n];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < dim; i++) {
                xs[r][i] = x.get(r)[i];
            }
            ys[r] = flagged.get(r) ? 1 : 0;
        }
        double[] mean = new double[dim];
        double scale = centreAndScale(xs, mean);
        double[] wb = fit(xs, ys, how.l2(), how.iterations());
        float[][] w = {new float[dim], new float[dim]};
        float[] meanF = new float[dim], std = new float[dim];
        for (int i = 0; i < dim; i++) {
            w[1][i] = (float) wb[i];
            meanF[i] = (float) mean[i];
            std[i] = (float) scale;
        }
        return new LinearProbe(layer, w, new float[] {0, (float) wb[dim]}, meanF, std);
    }

    /** P(flagged | x) = softmax(W·z + b)[1] with z the standardised x. */
    public double score(float[] x) {
        double z0 = bias[0], z1 = bias[1];
        for (int i = 0; i < x.length; i++) {
            double z = (x[i] - mean[i]) / std[i];
            z0 += weight[0][i] * z;
            z1 += weight[1][i] * z;
        }
        return 1 / (1 + Math.exp(z0 - z1));
    }

    /** Writes the probe as JSON (atomically). */
    public void save(Path file, double threshold) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.put("kind", "kts-linear-probe");
        n.put("site", "resid_post:" + layer);
        n.put("threshold", threshold);
        n.set("weight", json.valueToTree(weight));
        n.set("bias", json.valueToTree(bias));
        n.set("mean", json.valueToTree(mean));
        n.set("std", json.valueToTree(std));
        byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        AtomicFileWriter.write(file, out -> out.bytes(bytes));
    }

    /** A probe and its threshold read from {@link #save}'s JSON. */
    public record Saved(LinearProbe probe, double threshold) {}

    /** @throws IllegalArgumentException naming the file and what does not fit (not JSON, a missing or mistyped field) */
    public static Saved load(Path file) throws IOException {
        try {
            return parse(file);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(file + ": not a probe file (" + e.getOriginalMessage() + ")", e);
        }
    }

    private static Saved parse(Path file) throws IOException {
        var n = new ObjectMapper().readTree(InputFiles.readText("", file, InputFiles.TEXT_LIMIT));
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(file + ": a probe file is a JSON object");
        }
        for (String f : List.of("site", "threshold", "weight", "bias", "mean", "std")) {
            if (!n.has(f)) {
                throw new IllegalArgumentException(file + ": probe field '" + f + "' is missing");
            }
        }
        String site = n.get("site").asText();
        if (!site.matches("resid_post:\\d{1,6}")) {
            throw new IllegalArgumentException(file + ": probe site '" + site + "' must be resid_post:L");
        }
        if (!n.get("threshold").isNumber()) {
            throw new IllegalArgumentException(file + ": probe field 'threshold' must be a number");
        }
        var m = new ObjectMapper();
        float[][] w = m.treeToValue(n.get("weight"), float[][].class);
        float[] b = m.treeToValue(n.get("bias"), float[].class), mean = m.treeToValue(n.get("mean"), float[].class),
                std = m.treeToValue(n.get("std"), float[].class);
        if (w == null || b == null || mean == null || std == null || w.length != 2 || w[0] == null || w[1] == null
                || b.length != 2 || w[0].length != mean.length || w[1].length != mean.length || std.length != mean.length) {
            throw new IllegalArgumentException(file + ": probe arrays have inconsistent sizes");
        }
        return new Saved(new LinearProbe(Integer.parseInt(site.substring(11)), w, b, mean, std), n.get("threshold").asDouble());
    }
}
