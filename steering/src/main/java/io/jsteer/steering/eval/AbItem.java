package io.jsteer.steering.eval;

/**
 * One A/B question: the prompt ends exactly where the answer letter comes (e.g. CAA's
 * {@code "...\n\nAnswer: ("}), and which letter matches the behaviour.
 *
 * @param prompt      the text before the letter, without a trailing space
 * @param matching    the letter of the behaviour-matching answer, e.g. {@code A}
 * @param notMatching the other letter, e.g. {@code B}
 */
public record AbItem(String prompt, String matching, String notMatching) implements java.io.Serializable {

    public AbItem {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("A/B item: prompt is empty");
        }
        if (matching == null || matching.isBlank() || notMatching == null || notMatching.isBlank()) {
            throw new IllegalArgumentException("A/B item: both answer letters must be given");
        }
        if (matching.equals(notMatching)) {
            throw new IllegalArgumentException("A/B item: matching and not-matching letters are both '" + matching + "'");
        }
    }

    /** Reads CAA's answer fields, {@code "(A)"} or {@code "A"}, as the bare letter. */
    public static AbItem fromCaa(String prompt, String answerMatching, String answerNotMatching) {
        return new AbItem(prompt, bareLetter(answerMatching, "answer_matching_behavior"),
                bareLetter(answerNotMatching, "answer_not_matching_behavior"));
    }

    private static String bareLetter(String answer, String field) {
        String s = answer == null ? "" : answer.strip();
        if (s.startsWith("(") && s.endsWith(")")) {
            s = s.substring(1, s.length() - 1).strip();
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("A/B item: " + field + " '" + answer + "' holds no letter");
        }
        return s;
    }
}
