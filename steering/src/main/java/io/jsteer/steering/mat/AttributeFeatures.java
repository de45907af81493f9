package io.jsteer.steering.mat;

/**
 * The cached feature vectors of one attribute: one row per sample, all rows d wide.
 *
 * @param name      attribute name, e.g. {@code truthfulqa}
 * @param positives [P][d] desirable samples
 * @param negatives [N][d] undesirable samples
 */
public record AttributeFeatures(String name, float[][] positives, float[][] negatives) {

    public AttributeFeatures {
        if (positives.length == 0 || negatives.length == 0) {
            throw new IllegalArgumentException("attribute " + name + " needs positives and negatives, got "
                    + positives.length + " and " + negatives.length);
        }
        int d = positives[0].length;
        for (float[][] rows : new float[][][] {positives, negatives}) {
            for (float[] r : rows) {
                if (r.length != d) {
                    throw new IllegalArgumentException("attribute " + name + ": feature rows of " + r.length + " and " + d + " values");
                }
            }
        }
    }

    public int dim() { return positives[0].length; }

    /**
     * mean(positives) − mean(negatives) [d]: the direction from undesirable to desirable, the
     * CAA baseline's vector (its sum over attributes is the ungated-sum baseline).
     */
    public float[] meanDifference() {
        int d = dim();
        double[] s = new double[d];
        for (float[] r : positives) {
            for (int j = 0; j < d; j++) {
                s[j] += r[j] / (double) positives.length;
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
