package io.jsteer.steering.data;

import java.util.List;

/**
 * A TruthfulQA question with its answer lists.
 *
 * @param type             "Adversarial" or "Non-Adversarial"
 * @param correctAnswers   the "; "-separated "Correct Answers" column, split
 * @param incorrectAnswers the "; "-separated "Incorrect Answers" column, split
 */
public record TruthfulQaItem(String type, String category, String question, String bestAnswer,
                             List<String> correctAnswers, List<String> incorrectAnswers) {

    public TruthfulQaItem {
        correctAnswers = List.copyOf(correctAnswers);
        incorrectAnswers = List.copyOf(incorrectAnswers);
    }

    /**
     * A truthful-vs-untruthful pair: the question followed by the best answer vs by the first
     * incorrect answer, as "Q: …\nA: …".
     */
    public ContrastivePair toPair() {
        String q = "Q: " + question + "\nA: ";
        return new ContrastivePair(q + bestAnswer, q + incorrectAnswers.getFirst());
    }
}
