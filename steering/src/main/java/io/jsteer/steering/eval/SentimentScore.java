package io.jsteer.steering.eval;

/**
 * AFINN sentiment of one text.
 *
 * @param sum         sum of the valences of the matched words and phrases
 * @param words       words in the text (as split by {@link Words})
 * @param matched     lexicon entries matched
 */
public record SentimentScore(int sum, int words, int matched) {

    /** Sum per word of the text; 0 for a text without words. */
    public double meanPerWord() {
        return words == 0 ? 0 : (double) sum / words;
    }
}
