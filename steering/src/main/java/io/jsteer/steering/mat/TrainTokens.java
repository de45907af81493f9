package io.jsteer.steering.mat;

/**
 * Which tokens of the sample texts become training features (spec §2 "Feature", §6).
 *
 * <ul>
 *   <li>{@link #LAST}: the last token of each sample, one row per sample (the reference code);</li>
 *   <li>{@link #ALL}: every token of a sample, labelled with the sample's polarity (the paper's
 *       §2.2; the shared {@code Q: ... A:} tokens then fall in both pools);</li>
 *   <li>{@link #ANSWER}: the answer tokens of every sample (after its {@code Q: ... A:}
 *       tokens), labelled with the sample's polarity; the shared prompt tokens are left out;</li>
 *   <li>{@link #DIFF}: only the answer tokens that the item's opposite answers lack (the words that
 *       carry the attribute, e.g. "sad", "cried" against "happy", "smiled"); for paired templates.</li>
 * </ul>
 */
public enum TrainTokens {
    LAST, ALL, ANSWER, DIFF;

    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static TrainTokens parse(String s) {
        for (TrainTokens t : values()) {
            if (t.label().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--tokens must be last, all, answer or diff, got '" + s + "'");
    }
}
