package io.jsteer.steering.mat;

/**
 * The cached feature vectors of one attribute: one row per sample, all rows d wide.
 *
 * @param name      attribute name, e.g. {@code truthfulqa}
 * @param positives [P][d] desirable samples (the preservation term keeps every gate shut on them)
 * @param negatives [N][d] undesirable samples (edited; the sparsity term)
 * @param targets   [M][d] the pool the MMD's Y-sets are drawn from: the positives themselves (the
 *                  paper and its code), or a narrower desirable set such as the desirable answers'
 *                  own attribute words ({@link TrainTokens#CONTRAST})
 */
public record AttributeFeatures(String name, float[][] positives, float[][] negatives, float[][] targets) {

    /** The paper's pools: the MMD pulls the edited negatives towards the positives. */
    public AttributeFeatures(String name, float[][] positives, float[][] negatives) {
        this(name, positives, negatives, positives);
    }

    public AttributeFeatures {
        if (positives.length == 0 || negatives.length == 0 || targets.length == 0) {
            throw new IllegalArgumentException("attribute " + name + " needs positives, negatives and MMD targets, got "
                    + positives.length + ", " + negatives.length + " and " + targets.length);
        }
        int d = positives[0].length;
        for (float[][] rows : new float[][][] {positives, negatives, targets}) {
            for (float[] r : rows) {
                if (r.length != d) {
                    throw new IllegalArgumentException("attribute " + name + ": feature rows of " + r.length + " and " + d + " values");
                }
            }
        }
    }

    public int dim() { return positives[0].length; }

    /** True when the MMD targets are the positives themselves (the paper's construction). */
    public boolean targetsArePositives() { return targets == positives; }

    /**
     * mean(targets) − mean(negatives) [d] (targets = the positives unless narrower MMD targets were
     * given): the direction from undesirable to desirable, the CAA baseline's vector (its sum over
     * attributes is the ungated-sum baseline).
     */
    public float[] meanDifference() {
        int d = dim();
        double[] s = new double[d];
        for (float[] r : targets) {
            for (int j = 0; j < d; j++) {
                s[j] += r[j] / (double) targets.length;
            }
        }
        for (float[] r : negatives) {
            for (int j = 0; j < d; j++) {
                s[j] -= r[j] / (double) negatives.length;
            }
        }
        float[] out = new float[d];
        for (int j = 0; j < d; j++) {
            out[j] = (float) s[j];
        }
        return out;
    }
}
