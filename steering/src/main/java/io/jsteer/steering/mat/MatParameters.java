package io.jsteer.steering.mat;

import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import java.util.Random;

/**
 * The trained MAT-Steer module in plain arrays: per attribute t a steering vector θ_t, a gate
 * weight w_t and a gate bias b_t (spec §0–§1). It is applied to a model as the shared
 * {@link GatedEdit} ({@link #toGatedEdit}); {@link #gates} reads gates of cached feature rows.
 *
 * @param attributes names, one per attribute, length T
 * @param theta      [T][d] steering vectors
 * @param gateWeight [T][d] gate weights
 * @param gateBias   [T] gate biases
 */
public record MatParameters(List<String> attributes, float[][] theta, float[][] gateWeight, float[] gateBias)
        implements java.io.Serializable { // sent to Spark executors (jsteer spark mat-eval)

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

    /** g_t(a) = sigmoid(w_t·a + b_t) for every t of one cached feature row {@code a[d]}; writes gates[T] (for reports on training features). */
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
     * The module as the shared intervention kind at {@code site}: the edit, the norm preservation
     * and the gate reporting of {@link GatedEdit} on both the inference path
     * ({@code InterventionSet.toHooks}) and the trainable path ({@code toTapeHooks}). The values are
     * float32 constants (not trained further).
     */
    public GatedEdit toGatedEdit(Site site) {
        int t = attributeCount(), d = dim();
        return new GatedEdit(site, Var.constant(Precision.F32, MatTrainer.flatten(theta), t, d),
                Var.constant(Precision.F32, MatTrainer.flatten(gateWeight), t, d), Var.constant(Precision.F32, gateBias, t));
    }

    /** The module read back from a (trained) GatedEdit, e.g. after training on the trainable path. */
    public static MatParameters of(List<String> attributes, GatedEdit edit) {
        int d = edit.theta().dim(1);
        return new MatParameters(attributes, MatTrainer.unflatten(edit.theta().toFloatArray(), d),
                MatTrainer.unflatten(edit.gateWeight().toFloatArray(), d), edit.gateBias().toFloatArray());
    }
}
