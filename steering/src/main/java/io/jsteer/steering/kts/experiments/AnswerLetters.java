package io.jsteer.steering.kts.experiments;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The answer letter of a generated multiple-choice answer, as the reference's regex reads it:
 * first the requested format "the best answer is: (X)", then "answer is (X)" / "answer: X", then
 * a lone "(X)"; only letters among the offered options count. Matching is case-insensitive for the
 * words, the letter itself must be a capital.
 */
public final class AnswerLetters {

    private static final Pattern BEST = Pattern.compile("(?i:best answer is)\\s*:?\\s*\\(?([A-Z])\\)?(?![A-Za-z])");
    private static final Pattern ANSWER = Pattern.compile("(?i:answer(?: is)?)\\s*:?\\s*\\(([A-Z])\\)|(?i:answer(?: is)?)\\s*:?\\s*([A-Z])(?![A-Za-z])");
    private static final Pattern PAREN = Pattern.compile("\\(([A-Z])\\)");

    private AnswerLetters() {}

    /** The letter the text answers with, if it names one of the first {@code options} letters. */
    public static Optional<String> parse(String text, int options) {
        if (options < 1 || options > 26) {
            throw new IllegalArgumentException("options must be 1..26, got " + options);
        }
        for (Pattern p : new Pattern[] {BEST, ANSWER, PAREN}) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                String g = m.group(1) != null ? m.group(1) : m.groupCount() > 1 ? m.group(2) : null;
                if (g != null && g.charAt(0) - 'A' < options) {
                    return Optional.of(g);
                }
            }
        }
        return Optional.empty();
    }

    /** The letter of option i (0-based). */
    public static String letter(int i) {
        return String.valueOf((char) ('A' + i));
    }
}
