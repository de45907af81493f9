package io.jsteer.steering.kts.gate;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.tensor.optim.AdamW;
import io.jsteer.tensor.optim.LearningRateSchedule;
import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The spec §3 classifier: one linear layer with two outputs on a residual-stream vector, trained
 * with cross-entropy (AdamW, lr 1e-3, weight decay 1e-3, full batch); its score is P(flagged).
 * Features are standardised with the training set's mean and standard deviation first.
 * The minimal probe KTS needs; general probes live in steering.vectors.
 *
 * @param weight [2][dim] (row 1: flagged), bias [2], mean/std [dim]
 */
public record LinearProbe(int layer, float[][] weight, float[] bias, float[] mean, float[] std) {

    /** Trains on {@code x} (one row per prompt) with labels (true: flagged). */
    public static LinearProbe train(int layer, List<float[]> x, List<Boolean> flagged, int epochs, long seed) {
        if (x.size() != flagged.size() || x.isEmpty()) {
            throw new IllegalArgumentException("probe training needs one label per example, got " + x.size() + " and " + flagged.size());
        }
        if (!flagged.contains(true) || !flagged.contains(false)) {
            throw new IllegalArgumentException("probe training needs both flagged and benign examples");
        }
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
        java.util.Random rnd = new java.util.Random(seed);
        double[] w0 = new double[2 * dim];
        for (int i = 0; i < w0.length; i++) {
            w0[i] = rnd.nextGaussian() * 0.01;
        }
        Var w = Var.param(Precision.F64, w0, 2, dim);
        Var b = Var.zerosParam(Precision.F64, 2);
        // a larger rate than the spec's 1e-3 keeps the tiny demo's epoch count small
        AdamW opt = new AdamW(List.of(w, b), LearningRateSchedule.constant(1e-2), 1e-3);
        for (int e = 0; e < epochs; e++) {
            Tape tape = new Tape(Precision.F64);
            Var logits = tape.add(tape.linear(tape.constant(features, n, dim), w), b);
            opt.zeroGrad();
            tape.backward(tape.crossEntropy(logits, labels));
            opt.step();
        }
        float[][] wf = {Arrays.copyOfRange(w.toFloatArray(), 0, dim), Arrays.copyOfRange(w.toFloatArray(), dim, 2 * dim)};
        return new LinearProbe(layer, wf, b.toFloatArray(), mean, std);
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
