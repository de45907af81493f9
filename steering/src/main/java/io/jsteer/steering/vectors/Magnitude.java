package io.jsteer.steering.vectors;

/**
 * The length given to unit directions (PCA, probe) per layer. Activation norms differ 10–100×
 * across layers, so a strength that works at one layer does nothing or breaks the model at
 * another; scaling to a per-layer reference makes strengths comparable.
 */
public enum Magnitude {
    /** Unit length. */
    UNIT,
    /** The mean L2 norm of the layer's captured activations (all rows). */
    MEAN_ACTIVATION_NORM,
    /** The norm of the layer's mean difference, mean(positive) − mean(negative). */
    MEAN_DIFF_NORM
}
