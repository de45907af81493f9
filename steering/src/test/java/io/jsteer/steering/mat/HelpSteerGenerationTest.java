package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The win rule of the generative evaluation: higher mean score wins, ties apart, unreadable verdicts left out. */
class HelpSteerGenerationTest {

    @Test
    void winsTiesLossesAndExclusions() {
        List<HelpSteerGeneration.Response> rs = List.of(
                response(new int[] {4, 4, 4, 2, 2}, new int[] {3, 3, 3, 2, 2}),  // win
                response(new int[] {4, 0, 4, 2, 2}, new int[] {3, 3, 2, 2, 2}),  // tie: 12 = 12
                response(new int[] {1, 1, 1, 1, 1}, new int[] {2, 1, 1, 1, 1}),  // loss
                response(null, new int[] {0, 0, 0, 0, 0}),                      // MAT unreadable
                response(new int[] {4, 4, 4, 4, 4}, null));                     // baseline unreadable
        var w = HelpSteerGeneration.winRate(rs, "base");
        assertEquals(new HelpSteerGeneration.WinRate("base", 3, 1, 1, 1, 2, 1 / 3.0), w);
        var none = HelpSteerGeneration.winRate(rs.subList(3, 5), "base");
        assertEquals(0, none.compared());
        assertNull(none.winRate(), "no parsed pair, no rate");
    }

    private static HelpSteerGeneration.Response response(int[] mat, int[] base) {
        Map<String, int[]> scores = new HashMap<>();
        scores.put("mat", mat);
        scores.put("base", base);
        return new HelpSteerGeneration.Response("p", Map.of("mat", "m", "base", "b"), scores);
    }
}
