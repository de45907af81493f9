package io.jsteer.steering.mat;

import java.util.List;
import java.util.Random;

/**
 * The trained MAT-Steer module in plain arrays, for inference: per attribute t a steering
 * vector θ_t, a gate weight w_t and a gate bias b_t (spec §0–§1).
 *
 * @param attributes names, one per attribute, length T
 * @param theta      [T][d] steering vectors
 * @param gateWeight [T][d] gate weights
 * @param gateBias   [T] gate biases
 */
public record MatParameters(List<String> attributes, float[][] theta, float[][] gateWeight, float[] gateBias) {

    /** Added to ‖a'‖ before dividing, as in the reference code (spec §1). */
    public static final double NORM_EPS = 1e-8;

    public MatParameters {
        attributes = List.copyOf(attributes);
        int t = attributes.size();
        if (t == 0) {
            throw new IllegalArgumentException("MAT-Steer needs at least one attribute");
        }
        if (theta.length != t || gateWeight.length != t || gateBias.length != t) {
            throw new IllegalArgumentException("MAT-Steer parameters disagree on the attribute count: " + t + " names, theta "
                    + theta.length + ", gate_weight " + gateWeight.length + ", gate_bias " + gateBias.length);
        }
        int d = theta[0].length;
        for (int i = 0; i < t; i++) {
            if (theta[i].length != d || gateWeight[i].length != d) {
                throw new IllegalArgumentException("attribute " + attributes.get(i) + ": theta has " + theta[i].length
                        + " values and gate_weight " + gateWeight[i].length + ", expected " + d);
            }
        }
    }

    public int attributeCount() { return attributes.size(); }

    public int dim() { return theta[0].length; }

    /**
     * The paper code's initialisation (spec §3): θ ~ N(0, I), w and b ~ U(−1/√d, 1/√d) as
     * PyTorch's default Linear init.
     */
    public static MatParameters initial(List<String> attributes, int dim, long seed) {
        Random rng = new Random(seed);
        int t = attributes.size();
        float[][] theta = new float[t][dim], w = new float[t][dim];
        float[] b = new float[t];
        double bound = 1 / Math.sqrt(dim);
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < dim; j++) {
                theta[i][j] = (float) rng.nextGaussian();
            }
        }
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < dim; j++) {
                w[i][j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
        }
        for (int i = 0; i < t; i++) {
            b[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return new MatParameters(attributes, theta, w, b);
    }

    /** g_t(a) = sigmoid(w_t·a + b_t) for every t, from the unedited activation {@code a[d]}; writes gates[T]. */
    public void gates(float[] a, double[] gates) {
        int d = dim();
        for (int t = 0; t < theta.length; t++) {
            double z = gateBias[t];
            float[] w = gateWeight[t];
            for (int j = 0; j < d; j++) {
                z += (double) w[j] * a[j];
            }
            gates[t] = 1 / (1 + Math.exp(-z));
        }
    }

    /**
     * Edits {@code a[d]} in place: a' = a + Σ_t g_t θ_t, then ã = a'·‖a‖/(‖a'‖ + 1e-8); the
     * gates (computed first, from the unedited a) are left in {@code gates[T]}.
     */
    public void edit(float[] a, double[] gates) {
        gates(a, gates);
        int d = dim();
        double normA = 0, normEdited = 0;
        double[] edited = new double[d];
        for (int j = 0; j < d; j++) {
            double v = a[j];
            normA += v * v;
            for (int t = 0; t < theta.length; t++) {
                v += gates[t] * theta[t][j];
            }
            edited[j] = v;
            normEdited += v * v;
        }
        double scale = Math.sqrt(normA) / (Math.sqrt(normEdited) + NORM_EPS);
        for (int j = 0; j < d; j++) {
            a[j] = (float) (edited[j] * scale);
        }
    }
}
