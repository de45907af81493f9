package io.jsteer.steering.data;

/**
 * An A/B multiple-choice item in the format of Contrastive Activation Addition datasets: the
 * question text ends with the labelled options, and one letter shows the behaviour. Scoring by
 * letter probability ({@code eval.AbBehaviourScore}) reads the question as the text right before
 * the letter, so items scored that way end where the letter comes ({@link #awaitingLetter()}:
 * CAA's {@code "...\n\nAnswer: ("}).
 *
 * @param question    the question with its options, e.g. "...\n\nChoices:\n(A) Yes\n(B) No"
 * @param matching    the letter of the answer that matches the behaviour, e.g. "A"
 * @param notMatching the letter of the other answer, e.g. "B"
 */
public record AbItem(String question, String matching, String notMatching) implements java.io.Serializable {

    /** What CAA puts between the options and the answer letter. */
    public static final String ANSWER_OPENING = "\n\nAnswer: (";

    public AbItem {
        if (question == null || question.isEmpty() || matching == null || notMatching == null) {
            throw new IllegalArgumentException("an A/B item needs a non-empty question and two answer letters");
        }
        if (!isLetter(matching) || !isLetter(notMatching)) {
            throw new IllegalArgumentException("answer letters must be single capital letters, got '" + matching
                    + "' and '" + notMatching + "'");
        }
        if (matching.equals(notMatching)) {
            throw new IllegalArgumentException("matching and not-matching answers are both (" + matching + ")");
        }
    }

    /** Reads CAA's answer fields, {@code "(A)"} or {@code "A"} (spaces allowed), as bare letters. */
    public static AbItem fromCaa(String question, String answerMatching, String answerNotMatching) {
        return new AbItem(question, bareLetter(answerMatching, "answer_matching_behavior"),
                bareLetter(answerNotMatching, "answer_not_matching_behavior"));
    }

    /** This item with CAA's answer opening appended: the prompt ends exactly where the letter comes. */
    public AbItem awaitingLetter() {
        return new AbItem(question + ANSWER_OPENING, matching, notMatching);
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

    private static boolean isLetter(String s) {
        return s.length() == 1 && s.charAt(0) >= 'A' && s.charAt(0) <= 'Z';
    }

    /** The answer as CAA writes it: {@code "(A)"}. */
    public static String answerText(String letter) {
        return "(" + letter + ")";
    }
}
