package io.jsteer.weights;

/** Small numeric helpers shared by tests. */
public final class TestMath {

    private TestMath() {}

    /** ||a - b|| / ||a||. */
    public static double relativeRmsError(float[] a, float[] b) {
        double err = 0, norm = 0;
        for (int i = 0; i < a.length; i++) {
            err += (a[i] - b[i]) * (double) (a[i] - b[i]);
            norm += a[i] * (double) a[i];
        }
        return Math.sqrt(err / norm);
    }
}
