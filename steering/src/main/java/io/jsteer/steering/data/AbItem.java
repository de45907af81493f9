package io.jsteer.steering.data;

/**
 * An A/B multiple-choice item in the format of Contrastive Activation Addition datasets: the
 * question text ends with the labelled options, and one letter shows the behaviour.
 *
 * @param question    the question with its options, e.g. "...\n\nChoices:\n(A) Yes\n(B) No"
 * @param matching    the letter of the answer that matches the behaviour, e.g. "A"
 * @param notMatching the letter of the other answer, e.g. "B"
 */
public record AbItem(String question, String matching, String notMatching) {

    public AbItem {
        if (question == null || matching == null || notMatching == null) {
            throw new IllegalArgumentException("an A/B item needs a question and two answer letters");
        }
        if (!isLetter(matching) || !isLetter(notMatching)) {
            throw new IllegalArgumentException("answer letters must be single capital letters, got '" + matching
                    + "' and '" + notMatching + "'");
        }
        if (matching.equals(notMatching)) {
            throw new IllegalArgumentException("matching and not-matching answers are both (" + matching + ")");
        }
    }

    private static boolean isLetter(String s) {
        return s.length() == 1 && s.charAt(0) >= 'A' && s.charAt(0) <= 'Z';
    }

    /** The answer as CAA writes it: {@code "(A)"}. */
    public static String answerText(String letter) {
        return "(" + letter + ")";
    }
}
