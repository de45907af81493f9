package io.jsteer.model.intervene;

/**
 * The bound on user-given steering strengths (CLI {@code --steer FILE:STRENGTH}, sweep
 * {@code --strengths}, the server's {@code "strength"}). Real steering uses strengths of a few
 * units to a few tens (CAA multipliers, ActAdd coefficients); a strength of 1e38 only turns the
 * residual stream into infinities and the output into "⁇" tokens, so it is refused up front.
 */
public final class Strength {

    /** Magnitudes above this are refused: far past any useful steering, well short of float overflow. */
    public static final double MAX = 1000;

    private Strength() {}

    /**
     * @param what the flag or field, for the message
     * @return {@code s} when finite and |s| ≤ {@link #MAX}
     * @throws IllegalArgumentException one line naming {@code what} and the bound
     */
    public static double check(String what, double s) {
        if (!Double.isFinite(s)) {
            throw new IllegalArgumentException(what + ": strength must be a finite number, got " + s);
        }
        if (Math.abs(s) > MAX) {
            throw new IllegalArgumentException(what + ": strength " + s + " is beyond the limit of ±" + (int) MAX
                    + " (useful strengths are a few units to a few tens)");
        }
        return s;
    }
}
