package io.jsteer.model.intervene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerSelectionTest {

    @Test
    void theGrammarAcceptsSinglesRangesListsAndAll() {
        assertEquals(List.of(3), LayerSelection.parse("--layers", "3", 8));
        assertEquals(List.of(1, 2, 3, 4), LayerSelection.parse("--layers", "1-4", 8));
        assertEquals(List.of(0, 2, 5, 6, 7), LayerSelection.parse("--layers", "0,2,5-7", 8));
        assertEquals(List.of(0, 2, 5, 6, 7), LayerSelection.parse("--layers", " 5-7 , 0,2 ", 8), "sorted, spaces allowed");
        assertEquals(List.of(0, 1, 2, 3, 4), LayerSelection.parse("--layers", "all", 5));
        assertTrue(LayerSelection.parse("--layers", "all").isAll());
    }

    @Test
    void hugeRangesAreRefusedAtOnceWithAShortMessage() {
        // before: the range was expanded first (an int loop that overflowed at 2^31-1 and an OOM) and the
        // error printed every layer (189 MB for 0-20000000)
        for (String text : List.of("0-2147483647", "0-20000000", "2147483647", "7-99999999")) {
            IllegalArgumentException e = assertTimeoutPreemptively(Duration.ofSeconds(1),
                    () -> assertThrows(IllegalArgumentException.class, () -> LayerSelection.parse("--layers", text, 8)));
            assertTrue(e.getMessage().length() < 200, e.getMessage());
            assertTrue(e.getMessage().startsWith("--layers '" + text + "': block "), e.getMessage());
            assertTrue(e.getMessage().contains("the model has 8 blocks (0..7)"), e.getMessage());
        }
        var overflow = assertThrows(IllegalArgumentException.class, () -> LayerSelection.parse("--layers", "0-99999999999999999999", 8));
        assertTrue(overflow.getMessage().contains("far beyond"), overflow.getMessage());
    }

    @Test
    void malformedTextGetsOneLineNamingTheFlag() {
        for (String text : List.of("", " ", "-1", "1-", "a", "1.5", "3-1", "1,,2", "1-2-3", "１")) {
            var e = assertThrows(IllegalArgumentException.class, () -> LayerSelection.parse("steering[0].layers", text, 8), text);
            assertTrue(e.getMessage().startsWith("steering[0].layers"), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerSelection.parse("--layers", "5-3", 8)).getMessage()
                .contains("runs backwards"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerSelection.parse("--layers", "1-3,2", 8)).getMessage()
                .contains("block 2 is listed twice"));
    }

    @Test
    void aLongHostileListIsCutShortInTheMessageAndBounded() {
        String many = "0,".repeat(1000) + "0";
        var e = assertThrows(IllegalArgumentException.class, () -> LayerSelection.parse("--layers", many, 8));
        assertTrue(e.getMessage().length() < 200 && e.getMessage().contains("listed twice"), e.getMessage());
        String tooLong = "1".repeat(LayerSelection.MAX_TEXT + 1);
        var t = assertThrows(IllegalArgumentException.class, () -> LayerSelection.parse("--layers", tooLong));
        assertTrue(t.getMessage().length() < 200 && t.getMessage().contains("more than the " + LayerSelection.MAX_TEXT), t.getMessage());
    }

    @Test
    void manyHooksAtOneSiteCostLinearTime() {
        // Hooks.add used to copy the site's array on every add: 64k entries took minutes
        Hooks hooks = new Hooks(2);
        int[] calls = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 200_000; i++) {
                hooks.add(new Site(SiteKind.RESID_POST, 1), (s, p, in, x) -> calls[0]++);
            }
        });
        hooks.run(SiteKind.RESID_POST, 1, 0, true, new float[1]);
        assertEquals(200_000, calls[0], "every hook runs once, in order");
    }
}
