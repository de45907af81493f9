package io.jsteer.model.intervene;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Hooks answer where they listen (the GPU engine cuts its plan only there) and run in order. */
class HooksTest {

    @Test
    void hasIsTrueExactlyWhereAHookWasAdded() {
        Hooks h = new Hooks(3);
        assertFalse(h.has(SiteKind.ATTN_HEADS, 1));
        h.add(new Site(SiteKind.ATTN_HEADS, 1), (site, pos, inPrompt, x) -> x[0] += 1);
        h.add(new Site(SiteKind.ATTN_HEADS, 1), (site, pos, inPrompt, x) -> x[0] *= 10);
        for (SiteKind k : SiteKind.values()) {
            for (int l = 0; l < 3; l++) {
                boolean expected = k == SiteKind.ATTN_HEADS && l == 1;
                assertTrue(h.has(k, l) == expected, k + ":" + l);
            }
        }
        float[] x = {2f};
        h.run(SiteKind.ATTN_HEADS, 1, 0, false, x);
        assertArrayEquals(new float[] {30f}, x, "both hooks, in the order added");
    }
}
