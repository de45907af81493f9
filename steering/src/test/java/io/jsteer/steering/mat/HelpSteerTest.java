package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.mat.tasks.HelpSteer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HelpSteer reader on the hand-written fixture (HelpSteer's layout), its errors, splits and sampling. */
class HelpSteerTest {

    static final Path FIXTURE = Path.of("src/test/resources/helpsteer/sample.jsonl");

    @Test
    void readsTheOfficialLayout() throws IOException {
        List<HelpSteer.Row> rows = HelpSteer.read(FIXTURE);
        assertEquals(40, rows.size());
        HelpSteer.Row first = rows.getFirst();
        assertEquals(1, first.line());
        assertEquals("Tell me a short story about a cat.", first.prompt());
        assertArrayEquals(new int[] {4, 4, 4, 3, 3}, first.scores());
        assertArrayEquals(new int[] {0, 1, 2, 0, 1}, rows.get(1).scores());
        assertEquals("Q: Tell me a short story about a cat. A:", first.query());
        assertTrue(first.text().startsWith(first.query() + " Once upon a time"), first.text());
        assertTrue(first.positive(0) && !rows.get(1).positive(0) && first.positive(4) && !rows.get(1).positive(4));
    }

    @Test
    void acceptsWholeFloatScoresAndBlankLines(@TempDir Path dir) throws IOException {
        // HelpSteer2 mirrors sometimes write 3.0
        Path f = write(dir, "{\"prompt\":\"p\",\"response\":\"r\",\"helpfulness\":3.0,\"correctness\":2,\"coherence\":4,\"complexity\":0,\"verbosity\":1}\n\n");
        assertArrayEquals(new int[] {3, 2, 4, 0, 1}, HelpSteer.read(f).getFirst().scores());
    }

    @Test
    void errorsNameFileLineAndField(@TempDir Path dir) throws IOException {
        String good = "{\"prompt\":\"p\",\"response\":\"r\",\"helpfulness\":3,\"correctness\":2,\"coherence\":4,\"complexity\":0,\"verbosity\":1}\n";
        Path notJson = write(dir, good + "{\"prompt\": \"p\", \n");
        var e = assertThrows(IOException.class, () -> HelpSteer.read(notJson));
        assertTrue(e.getMessage().startsWith(notJson + " line 2: not JSON"), e.getMessage());

        Path noResponse = write(dir, good + good.replace("\"response\":\"r\",", ""));
        e = assertThrows(IOException.class, () -> HelpSteer.read(noResponse));
        assertEquals(noResponse + " line 2: field response is missing or empty", e.getMessage());

        Path outOfRange = write(dir, good.replace("\"coherence\":4", "\"coherence\":5"));
        e = assertThrows(IOException.class, () -> HelpSteer.read(outOfRange));
        assertEquals(outOfRange + " line 1: field coherence must be an integer score 0-4, got 5", e.getMessage());

        Path missingScore = write(dir, good.replace(",\"verbosity\":1", ""));
        e = assertThrows(IOException.class, () -> HelpSteer.read(missingScore));
        assertEquals(missingScore + " line 1: field verbosity must be an integer score 0-4, got nothing", e.getMessage());

        Path fraction = write(dir, good.replace("\"complexity\":0", "\"complexity\":2.5"));
        e = assertThrows(IOException.class, () -> HelpSteer.read(fraction));
        assertTrue(e.getMessage().contains("line 1: field complexity"), e.getMessage());

        Path empty = write(dir, "\n");
        e = assertThrows(IOException.class, () -> HelpSteer.read(empty));
        assertEquals(empty + ": no rows", e.getMessage());
    }

    @Test
    void splitsByPrompt40_10_50AndSamplesBothSides() throws IOException {
        List<HelpSteer.Row> rows = HelpSteer.read(FIXTURE);
        HelpSteer.Splits s = HelpSteer.split(rows, 42);
        // 20 prompts: 8 train, 2 dev, 10 test, two responses each
        assertEquals(16, s.train().size());
        assertEquals(4, s.dev().size());
        assertEquals(20, s.test().size());
        assertEquals(10, s.testPrompts().size());
        Set<String> train = new HashSet<>(), test = new HashSet<>();
        s.train().forEach(r -> train.add(r.prompt()));
        s.test().forEach(r -> test.add(r.prompt()));
        train.retainAll(test);
        assertTrue(train.isEmpty(), "no prompt in both train and test: " + train);
        assertEquals(s, HelpSteer.split(rows, 42), "seeded");

        for (int a = 0; a < HelpSteer.ATTRIBUTES.size(); a++) {
            var sides = HelpSteer.sample(s.train(), a, 3, 7);
            int attr = a;
            assertEquals(3, sides.get(0).size());
            assertTrue(sides.get(0).stream().allMatch(r -> r.scores()[attr] >= 3));
            assertTrue(sides.get(1).stream().allMatch(r -> r.scores()[attr] < 3));
            assertEquals(sides, HelpSteer.sample(s.train(), a, 3, 7));
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> HelpSteer.sample(s.train().stream().filter(r -> r.scores()[1] >= 3).toList(), 1, 500, 1));
        assertTrue(e.getMessage().contains("correctness") && e.getMessage().contains("both sides"), e.getMessage());
    }

    private static Path write(Path dir, String text) throws IOException {
        Path f = Files.createTempFile(dir, "hs", ".jsonl");
        Files.writeString(f, text);
        return f;
    }
}
