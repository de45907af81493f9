package io.jsteer.steering.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.eval.Degeneration.DegenerationScore;
import java.util.List;
import org.junit.jupiter.api.Test;

class DegenerationTest {

    @Test
    void distinctNOnAConstructedText() {
        // words: the cat saw the cat saw a dog (8)
        // unigrams: the cat saw a dog = 5 distinct / 8
        // bigrams: the-cat cat-saw saw-the the-cat cat-saw saw-a a-dog = 5 distinct / 7
        // trigrams: the-cat-saw cat-saw-the saw-the-cat the-cat-saw cat-saw-a saw-a-dog = 5 / 6
        DegenerationScore s = Degeneration.of("The cat saw the cat, saw a dog.");
        assertEquals(5.0 / 8, s.distinct1(), 1e-12);
        assertEquals(5.0 / 7, s.distinct2(), 1e-12);
        assertEquals(5.0 / 6, s.distinct3(), 1e-12);
        assertEquals(0.0, s.repeatedSuffixFraction(), 0);
    }

    @Test
    void loopAtTheEnd() {
        // a b c x y x y x y: the tail "x y x y x y" (period 2) is 6 of 9 words
        assertEquals(6.0 / 9, Degeneration.of("a b c x y x y x y").repeatedSuffixFraction(), 1e-12);
        // period 1: "no no no no" in 6 words
        assertEquals(4.0 / 6, Degeneration.of("he said no no no no").repeatedSuffixFraction(), 1e-12);
        // one unit and a half is no loop: "x y z x y" ends with x y once after x y z
        assertEquals(0.0, Degeneration.of("x y z x y").repeatedSuffixFraction(), 0);
        // the whole text a loop
        assertEquals(1.0, Degeneration.of("and then and then").repeatedSuffixFraction(), 0);
        // an incomplete last unit still counts: "x y x y x" has period 2 through its end
        assertEquals(5.0 / 6, Degeneration.of("q x y x y x").repeatedSuffixFraction(), 1e-12);
    }

    @Test
    void shortTextsHaveNothingRepeated() {
        DegenerationScore s = Degeneration.of("Hello");
        assertEquals(1.0, s.distinct1(), 0);
        assertEquals(1.0, s.distinct2(), 0);
        assertEquals(1.0, s.distinct3(), 0);
        assertEquals(0.0, s.repeatedSuffixFraction(), 0);
        assertEquals(1.0, Degeneration.of("").compressionRatio(), 0);
    }

    @Test
    void compressionRatioIsLowForRepetition() {
        String varied = "Once upon a time, a small fox found a red kite by the river and flew it all day.";
        String looped = "the dog ran. ".repeat(40);
        double v = Degeneration.of(varied).compressionRatio();
        double l = Degeneration.of(looped).compressionRatio();
        assertTrue(v > 0.7 && v < 1.2, "varied text ratio " + v);
        assertTrue(l < 0.1, "looped text ratio " + l);
        // 1000 equal bytes deflate to a handful of bytes
        assertTrue(Degeneration.of("a".repeat(1000)).compressionRatio() < 0.02);
    }

    @Test
    void meanIsComponentWise() {
        DegenerationScore a = Degeneration.of("a b c x y x y x y");
        DegenerationScore b = Degeneration.of("The cat saw the cat, saw a dog.");
        DegenerationScore m = Degeneration.mean(List.of("a b c x y x y x y", "The cat saw the cat, saw a dog."));
        assertEquals((a.distinct2() + b.distinct2()) / 2, m.distinct2(), 1e-12);
        assertEquals((a.repeatedSuffixFraction() + b.repeatedSuffixFraction()) / 2, m.repeatedSuffixFraction(), 1e-12);
        assertEquals((a.compressionRatio() + b.compressionRatio()) / 2, m.compressionRatio(), 1e-12);
    }
}
