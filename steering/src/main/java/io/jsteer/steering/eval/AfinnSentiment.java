package io.jsteer.steering.eval;

import java.util.List;

/**
 * Lexicon sentiment of open generations. The text is split into lower-case words
 * ({@link Words}); at each word the longest lexicon phrase starting there is matched first
 * ({@code not good} = −2 rather than {@code good} = +3), then the single word; a hyphenated word
 * that is not an entry itself is scored by its parts ({@code happy-looking} counts {@code happy}).
 * Matched words are consumed, so no word counts twice.
 */
public final class AfinnSentiment {

    private final AfinnLexicon lexicon;

    public AfinnSentiment(AfinnLexicon lexicon) {
        this.lexicon = lexicon;
    }

    public SentimentScore score(String text) {
        List<String> words = Words.of(text);
        int sum = 0, matched = 0;
        int i = 0;
        while (i < words.size()) {
            int taken = 0;
            for (int n = Math.min(lexicon.longestPhrase(), words.size() - i); n >= 1; n--) {
                Integer v = lexicon.valence(String.join(" ", words.subList(i, i + n)));
                if (v != null) {
                    sum += v;
                    matched++;
                    taken = n;
                    break;
                }
            }
            if (taken == 0) {
                String w = words.get(i);
                if (w.indexOf('-') > 0) {
                    for (String part : w.split("-")) {
                        Integer v = lexicon.valence(part);
                        if (v != null) {
                            sum += v;
                            matched++;
                        }
                    }
                }
                taken = 1;
            }
            i += taken;
        }
        return new SentimentScore(sum, words.size(), matched);
    }

    /** Mean over texts of the per-text sum and of the per-word mean. */
    public CorpusSentiment score(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("sentiment needs at least one text");
        }
        double sums = 0, perWord = 0;
        for (String t : texts) {
            SentimentScore s = score(t);
            sums += s.sum();
            perWord += s.meanPerWord();
        }
        return new CorpusSentiment(sums / texts.size(), perWord / texts.size(), texts.size());
    }

    /**
     * @param meanSum     mean over texts of the per-text valence sum
     * @param meanPerWord mean over texts of the per-text valence per word
     * @param texts       texts scored
     */
    public record CorpusSentiment(double meanSum, double meanPerWord, int texts) {}
}
