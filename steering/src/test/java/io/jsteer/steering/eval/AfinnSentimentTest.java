package io.jsteer.steering.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AfinnSentimentTest {

    static AfinnLexicon lexicon;
    static AfinnSentiment sentiment;

    @BeforeAll
    static void load() {
        lexicon = EvalFixtures.afinn();
        sentiment = new AfinnSentiment(lexicon);
    }

    @Test
    void sharedLexiconLoadsEveryEntry() {
        // MANIFEST: 3382 entries; the longest phrase is three words ("does not work")
        assertEquals(3382, lexicon.size());
        assertEquals(3, lexicon.longestPhrase());
        assertEquals(-3, lexicon.valence("can't stand"));
        assertEquals(2, lexicon.valence("well-being"));
        assertNull(lexicon.valence("table"));
    }

    @Test
    void wordsAreLowerCaseWithApostrophesAndHyphensKept() {
        assertEquals(List.of("i", "can't", "stand", "well-being", "it's", "42"),
                Words.of("I CAN’T stand -- Well-Being; it's 42!"));
        assertEquals(List.of(), Words.of(" ... -- '' "));
    }

    @Test
    void singleWordsAddUp() {
        // love +3, happy +3; 6 words
        SentimentScore s = sentiment.score("I love this happy sunny day!");
        assertEquals(6, s.sum());
        assertEquals(6, s.words());
        assertEquals(2, s.matched());
        assertEquals(1.0, s.meanPerWord(), 0);
        // sad -2, cried -2, angry -3, friend +1
        assertEquals(-6, sentiment.score("The sad dog cried. Angry, it bit its friend.").sum());
    }

    @Test
    void phrasesWinOverTheirWords() {
        // "not good" -2 (not 'good' +3); "does not work" -3; "no fun" -3 (not 'no' -1 + 'fun' +4)
        assertEquals(-2, sentiment.score("This is not good.").sum());
        assertEquals(-3, sentiment.score("It does not work").sum());
        assertEquals(-3 + 3, sentiment.score("No fun at all, but a good end").sum());
        // "kind of" 0 instead of 'kind' +2
        assertEquals(0, sentiment.score("It was kind of late").sum());
        assertEquals(2, sentiment.score("She was kind").sum());
    }

    @Test
    void apostrophesAndHyphens() {
        // curly apostrophe: "can’t stand" -3; hyphenated entry "well-being" +2
        assertEquals(-3, sentiment.score("I can’t stand the rain").sum());
        assertEquals(2, sentiment.score("For your well-being.").sum());
        // not an entry: scored by its parts, happy +3
        SentimentScore parts = sentiment.score("a happy-looking cat");
        assertEquals(3, parts.sum());
        assertEquals(3, parts.words());
    }

    @Test
    void corpusMeansAreOverTexts() {
        // sums 6 and -2 → 2; per word 6/6 and -2/4 → 0.25
        AfinnSentiment.CorpusSentiment c = sentiment.score(List.of("I love this happy sunny day", "This is not good"));
        assertEquals(2.0, c.meanSum(), 1e-12);
        assertEquals(0.25, c.meanPerWord(), 1e-12);
        assertEquals(2, c.texts());
        assertEquals(0.0, sentiment.score("").meanPerWord(), 0);
    }

    @Test
    void malformedLexiconLineIsNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.txt");
        Files.writeString(f, "good\t3\nbad three\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AfinnLexicon.load(f));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(f, "good\tx\n");
        e = assertThrows(IllegalArgumentException.class, () -> AfinnLexicon.load(f));
        assertTrue(e.getMessage().contains("not an integer"), e.getMessage());
    }
}
