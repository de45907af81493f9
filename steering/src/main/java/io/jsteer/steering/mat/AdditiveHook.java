package io.jsteer.steering.mat;

import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.Site;

/**
 * The baselines' edit: x += c·v at every position, no renormalisation (CAA style). With v a
 * single attribute's mean difference it is the per-attribute CAA baseline; with the sum of all
 * attributes' vectors it is the ungated sum.
 */
public final class AdditiveHook implements ActivationHook {

    private final float[] vector;

    /** @param vector [d], already scaled */
    public AdditiveHook(float[] vector) {
        this.vector = vector.clone();
    }

    @Override
    public void apply(Site site, int position, boolean inPrompt, float[] x) {
        for (int j = 0; j < vector.length; j++) {
            x[j] += vector[j];
        }
    }

    /** mean(positives) − mean(negatives) [d]: the direction from undesirable to desirable. */
    public static float[] meanDifference(AttributeFeatures f) {
        int d = f.dim();
        double[] s = new double[d];
        for (float[] r : f.positives()) {
            for (int j = 0; j < d; j++) {
                s[j] += r[j] / (double) f.positives().length;
            }
        }
        for (float[] r : f.negatives()) {
            for (int j = 0; j < d; j++) {
                s[j] -= r[j] / (double) f.negatives().length;
            }
        }
        float[] out = new float[d];
        for (int j = 0; j < d; j++) {
            out[j] = (float) s[j];
        }
        return out;
    }
}
