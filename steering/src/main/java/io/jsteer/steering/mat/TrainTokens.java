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
 *       carry the attribute, e.g. "sad", "cried" against "happy", "smiled"); the desirable answers'
 *       own tokens and the shared prompt tokens are the positives; for paired templates;</li>
 *   <li>{@link #CONTRAST}: the pools of {@code DIFF}, but the MMD's targets are drawn from the
 *       desirable answers' own differing words only ("happy", "smiled"), so each attribute's edit
 *       pulls its words towards that attribute's opposite words rather than towards the generic
 *       prompt tokens; this is what ties a gate to its own attribute when several attributes are
 *       trained together (with {@code DIFF} either gate can serve either attribute).</li>
 * </ul>
 */
public enum TrainTokens {
    LAST, ALL, ANSWER, DIFF, CONTRAST;

    public String label() { return name().toLowerCase(java.util.Locale.ROOT); }

    public static TrainTokens parse(String s) {
        for (TrainTokens t : values()) {
            if (t.label().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--tokens must be last, all, answer, diff or contrast, got '" + s + "'");
    }
}
