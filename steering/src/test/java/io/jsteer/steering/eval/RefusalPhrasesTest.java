package io.jsteer.steering.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RefusalPhrasesTest {

    @Test
    void matchesCaseInsensitivelyWithTypographicApostrophes() {
        RefusalPhrases r = RefusalPhrases.defaults();
        assertTrue(r.refuses("I’M SORRY, but I can’t help with that."));
        assertTrue(r.refuses("As an AI language model, I ..."));
        assertTrue(r.refuses("Well. I cannot do this."));
        assertFalse(r.refuses("Sure, here is a recipe for pancakes."));
        assertFalse(r.refuses("The cannon fired."));
    }

    @Test
    void rateIsTheShareOfRefusingTexts() {
        RefusalPhrases r = RefusalPhrases.defaults();
        List<String> texts = List.of("I'm sorry, no.", "Sure!", "I will not.", "Here you go", "Of course: step 1");
        assertEquals(0.4, r.rate(texts), 1e-12);
        assertEquals(0.2, new RefusalPhrases(List.of("SURE")).rate(texts), 1e-12);
    }

    @Test
    void emptyInputsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new RefusalPhrases(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new RefusalPhrases(List.of(" ")));
        assertThrows(IllegalArgumentException.class, () -> RefusalPhrases.defaults().rate(List.of()));
    }
}
