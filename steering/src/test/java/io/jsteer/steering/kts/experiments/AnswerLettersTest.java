package io.jsteer.steering.kts.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnswerLettersTest {

    @Test
    void readsTheRequestedFormatFirst() {
        assertEquals(Optional.of("C"), AnswerLetters.parse("The user thinks (A). Therefore, the best answer is: (C).", 4));
        assertEquals(Optional.of("B"), AnswerLetters.parse("therefore, the BEST ANSWER IS (B)", 4));
        assertEquals(Optional.of("D"), AnswerLetters.parse("Best answer is: D", 4));
    }

    @Test
    void fallsBackToAnswerIsThenToALoneOption() {
        assertEquals(Optional.of("A"), AnswerLetters.parse("I believe the answer is (A) because ...", 3));
        assertEquals(Optional.of("B"), AnswerLetters.parse("Answer: B", 3));
        assertEquals(Optional.of("C"), AnswerLetters.parse("Option (C) seems right, not (A).", 3));
    }

    @Test
    void ignoresLettersOutsideTheOptionsAndPlainWords() {
        assertEquals(Optional.empty(), AnswerLetters.parse("Therefore, the best answer is: (E).", 4));
        assertEquals(Optional.of("B"), AnswerLetters.parse("The best answer is: (E). Sorry, (B).", 4));
        assertEquals(Optional.empty(), AnswerLetters.parse("A bird sang in the tree.", 4));
        assertEquals(Optional.empty(), AnswerLetters.parse("The answer is Apple.", 4));
        assertEquals(Optional.empty(), AnswerLetters.parse("", 4));
    }
}
