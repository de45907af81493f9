package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.Parallel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Generation that reuses the KV cache of an earlier call (a chat's previous turns). */
class GeneratorCacheTest {

    static GenerationResult greedy(Generator g, int[] prompt, int cached, int n) {
        return g.generateUntil(prompt, cached, n, Sampler.greedy(), t -> false, (p, t) -> true);
    }

    @Test
    void aSecondTurnOnTheCacheEqualsTheWholeConversationFromScratch() {
        LoadedModel m = TestModels.storiesBin();
        int[] first = m.tokenizer().encode("Once upon a time", true);
        try (CpuEngine chat = new CpuEngine(m.config(), m.weights(), 128, new Parallel(1));
             CpuEngine fresh = new CpuEngine(m.config(), m.weights(), 128, new Parallel(1))) {
            Generator g = new Generator(chat);
            GenerationResult turn1 = greedy(g, first, 0, 20);
            int[] inCache = Generator.cachedAfter(turn1);
            assertEquals(turn1.tokens().length - 1, inCache.length);
            // the next prompt: the first turn's tokens minus its last 3, plus a new user line
            int[] user = m.tokenizer().encode(" Tom was sad.", false);
            int keep = turn1.tokens().length - 3;
            int[] second = Arrays.copyOf(turn1.tokens(), keep + user.length);
            System.arraycopy(user, 0, second, keep, user.length);
            int reused = Generator.reusablePrefix(inCache, second);
            assertEquals(keep, reused);
            GenerationResult cached = greedy(g, second, reused, 24);
            GenerationResult scratch = greedy(new Generator(fresh), second, 0, 24);
            assertArrayEquals(scratch.tokens(), cached.tokens());
            assertTrue(cached.generatedCount() == 24);
            // and the logits after a reused prefix agree with a whole prefill
            float[] a = chat.prefill(Arrays.copyOfRange(second, reused, second.length), reused);
            float[] b = fresh.prefill(second, 0);
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-4f, "logit " + i);
            }
        }
    }

    @Test
    void reusablePrefixLeavesOneTokenAndRefusesABadCachedLength() {
        assertEquals(2, Generator.reusablePrefix(new int[] {1, 5, 7, 9}, new int[] {1, 5, 8}));
        assertEquals(2, Generator.reusablePrefix(new int[] {1, 5, 7}, new int[] {1, 5, 7}), "one token stays to prefill");
        assertEquals(0, Generator.reusablePrefix(new int[] {2}, new int[] {1, 5}));
        assertEquals(0, Generator.reusablePrefix(new int[0], new int[0]));
        LoadedModel m = TestModels.storiesBin();
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 16, new Parallel(1))) {
            var err = assertThrows(IllegalArgumentException.class, () -> greedy(new Generator(e), new int[] {1, 5}, 2, 1));
            assertTrue(err.getMessage().contains("cached prefix of 2 tokens"), err.getMessage());
        }
    }
}
