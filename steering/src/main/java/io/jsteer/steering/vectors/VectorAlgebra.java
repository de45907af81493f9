package io.jsteer.steering.vectors;

/**
 * Arithmetic on steering vectors (float[] of the residual width), computed in double. Every
 * binary operation checks that the widths match. Results are new arrays.
 */
public final class VectorAlgebra {

    private VectorAlgebra() {}

    static void sameWidth(float[] a, float[] b, String op) {
        if (a.length != b.length) {
            throw new IllegalArgumentException(op + ": vectors have different widths, " + a.length + " and " + b.length);
        }
    }

    public static float[] add(float[] a, float[] b) {
        sameWidth(a, b, "add");
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    public static float[] subtract(float[] a, float[] b) {
        sameWidth(a, b, "subtract");
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    public static float[] scale(float[] a, double s) {
        if (!Double.isFinite(s)) {
            throw new IllegalArgumentException("scale: factor is " + s);
        }
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) (a[i] * s);
        }
        return out;
    }

    public static double dot(float[] a, float[] b) {
        sameWidth(a, b, "dot");
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    public static double norm(float[] a) {
        return Math.sqrt(dot(a, a));
    }

    /** a / |a|; a zero vector has no direction and is refused. */
    public static float[] normalise(float[] a) {
        double n = norm(a);
        if (n == 0 || !Double.isFinite(n)) {
            throw new IllegalArgumentException("normalise: the vector has norm " + n);
        }
        return scale(a, 1 / n);
    }

    /** cos(a, b); refused when either is zero. */
    public static double cosine(float[] a, float[] b) {
        double na = norm(a), nb = norm(b);
        if (na == 0 || nb == 0) {
            throw new IllegalArgumentException("cosine: a vector has norm 0");
        }
        return dot(a, b) / (na * nb);
    }

    /** a − (a·b̂) b̂: the part of a orthogonal to b (b must not be zero). */
    public static float[] orthogonalise(float[] a, float[] against) {
        sameWidth(a, against, "orthogonalise");
        double bb = dot(against, against);
        if (bb == 0) {
            throw new IllegalArgumentException("orthogonalise: the vector to orthogonalise against is zero");
        }
        double k = dot(a, against) / bb;
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (float) (a[i] - k * against[i]);
        }
        return out;
    }
}
