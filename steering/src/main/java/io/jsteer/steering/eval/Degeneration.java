package io.jsteer.steering.eval;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.Deflater;

/**
 * How degenerate generated text is, from its words ({@link Words}) and bytes. Over-steered models
 * loop ("the the the", "and then and then") long before their KL looks alarming, which these
 * catch:
 * <ul>
 * <li>distinct-n (n = 1, 2, 3): distinct n-grams / all n-grams; 1 when nothing repeats (and for a
 *     text too short to have an n-gram); the repetition rate is 1 − distinct-n;</li>
 * <li>repeated-suffix fraction: the longest tail of the word sequence that is one unit repeated at
 *     least twice ({@code … x y x y x y}), as a share of all words; 0 when the text does not end
 *     in a loop;</li>
 * <li>compression ratio: Deflate-compressed bytes / UTF-8 bytes (best compression, no header); low
 *     when the text repeats itself; 1 for an empty text.</li>
 * </ul>
 */
public final class Degeneration {

    private Degeneration() {}

    public static DegenerationScore of(String text) {
        List<String> words = Words.of(text);
        return new DegenerationScore(distinct(words, 1), distinct(words, 2), distinct(words, 3),
                repeatedSuffixFraction(words), compressionRatio(text));
    }

    /** Component-wise mean over texts. */
    public static DegenerationScore mean(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("degeneration needs at least one text");
        }
        double d1 = 0, d2 = 0, d3 = 0, suffix = 0, ratio = 0;
        for (String t : texts) {
            DegenerationScore s = of(t);
            d1 += s.distinct1();
            d2 += s.distinct2();
            d3 += s.distinct3();
            suffix += s.repeatedSuffixFraction();
            ratio += s.compressionRatio();
        }
        int n = texts.size();
        return new DegenerationScore(d1 / n, d2 / n, d3 / n, suffix / n, ratio / n);
    }

    static double distinct(List<String> words, int n) {
        int total = words.size() - n + 1;
        if (total <= 0) {
            return 1;
        }
        Set<List<String>> seen = new HashSet<>();
        for (int i = 0; i < total; i++) {
            seen.add(words.subList(i, i + n));
        }
        return (double) seen.size() / total;
    }

    /**
     * For each period p, the tail in which word i equals word i + p extends p words before its
     * first differing pair; a loop needs that tail to hold the unit twice (length ≥ 2p).
     */
    static double repeatedSuffixFraction(List<String> words) {
        int n = words.size();
        int best = 0;
        for (int p = 1; 2 * p <= n; p++) {
            int matching = 0; // pairs (i, i + p) equal, counted back from the end
            for (int i = n - 1 - p; i >= 0 && words.get(i).equals(words.get(i + p)); i--) {
                matching++;
            }
            int tail = matching + p;
            if (tail >= 2 * p) {
                best = Math.max(best, tail);
            }
        }
        return n == 0 ? 0 : (double) best / n;
    }

    static double compressionRatio(String text) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        if (raw.length == 0) {
            return 1;
        }
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        try {
            deflater.setInput(raw);
            deflater.finish();
            byte[] buf = new byte[raw.length + 64];
            long compressed = 0;
            while (!deflater.finished()) {
                compressed += deflater.deflate(buf);
            }
            return (double) compressed / raw.length;
        } finally {
            deflater.end();
        }
    }

    /**
     * @param distinct1              distinct unigrams / unigrams
     * @param distinct2              distinct bigrams / bigrams
     * @param distinct3              distinct trigrams / trigrams
     * @param repeatedSuffixFraction share of words in a loop at the end of the text
     * @param compressionRatio       deflated bytes / raw bytes
     */
    public record DegenerationScore(double distinct1, double distinct2, double distinct3,
                                    double repeatedSuffixFraction, double compressionRatio) implements java.io.Serializable {}
}
