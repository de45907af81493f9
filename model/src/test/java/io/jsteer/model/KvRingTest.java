package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.weights.ModelShapes;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KvRingTest {

    private static LlamaConfig config(int window) {
        return new LlamaConfig(64, 128, 2, 4, 2, 32, 4096, 1e-5f, 10000f, RopeStyle.NORMAL, null, false)
                .withFamily(ModelFamily.LLAMA, 16, window);
    }

    /** Rows per layer: the capacity without a window, else window + slack, never more than the capacity. */
    @ParameterizedTest
    @CsvSource({"0, 128, 32, 128", "8, 128, 32, 40", "8, 128, 0, 8", "8, 20, 32, 20", "4096, 32768, 0, 4096", "4096, 1000, 0, 1000"})
    void slots(int window, int capacity, int slack, int slots) {
        KvRing r = new KvRing(config(window), capacity, slack);
        assertEquals(slots, r.slots());
        assertEquals(capacity, r.capacity());
        assertEquals(slots < capacity, r.isRing());
        assertEquals(2L * 2 * slots * 32 * Float.BYTES, r.bytes(config(window)));
    }

    /**
     * resumableAt against a simulated ring that records which position each row holds: after
     * positions 0..written-1 (and after a resume that went back), continuing at s is allowed
     * exactly when every position s reads still sits in its row.
     */
    @ParameterizedTest
    @CsvSource({"8, 0", "8, 3", "5, 32", "16, 0", "0, 0"})
    void resumableExactlyWhenTheWindowIsStillHeld(int window, int slack) {
        LlamaConfig c = config(window);
        KvRing ring = new KvRing(c, 200, slack);
        int[] held = new int[ring.slots()];
        for (int written : new int[] {1, 5, 9, 13, 40, 77, 150, 200}) {
            Arrays.fill(held, -1);
            ring.recordWrite(0, written);
            for (int p = 0; p < written; p++) {
                held[ring.slot(p)] = p;
            }
            for (int s = 0; s <= written; s++) {
                boolean intact = true;
                for (int p = c.firstVisible(s); p < s; p++) {
                    intact &= held[ring.slot(p)] == p;
                }
                assertEquals(intact, ring.resumableAt(s), "window " + window + ", " + written + " written, resume at " + s);
                assertEquals(intact ? s : 0, ring.reusable(s));
            }
        }
        // going back, then forward again: the rows written before the resume still count
        if (ring.isRing()) {
            int back = 200 - 1;
            assertTrue(ring.resumableAt(back));
            ring.recordWrite(back, 1);
            assertFalse(ring.resumableAt(200 - ring.slots()), "the rows overwritten before the resume stay lost");
            var e = assertThrows(IllegalArgumentException.class, () -> ring.checkResumableAt(200 - ring.slots()));
            assertTrue(e.getMessage().contains("restart the sequence at position 0"), e.getMessage());
            ring.recordWrite(0, 1); // a new sequence
            assertTrue(ring.resumableAt(1));
        }
    }

    /**
     * Mistral 7B v0.1 (32 blocks, kvDim 1024, window 4096) at its 32,768-token context: float32 keys
     * and values take 8 GiB with a row per position, 1 GiB as the device's ring of the window, and
     * 1056 MiB as the CPU's ring (window + a prefill batch of 128, CpuEngine.cacheRing). One block's cache is allocated to
     * check the rows really are the ring's.
     */
    @Test
    void mistral7bAtItsFullContextKeepsTheWindowOnly() {
        LlamaConfig c = LlamaConfig.fromMetadata(ModelShapes.mistral7b().metadata());
        assertEquals(4096, c.slidingWindow());
        assertEquals(32768, c.contextLength());
        long full = 2L * c.nLayers() * c.contextLength() * c.kvDim() * Float.BYTES;
        assertEquals(8L << 30, full);
        assertEquals(1L << 30, new KvRing(c, c.contextLength(), 0).bytes(c));
        assertEquals(1056L << 20, CpuEngine.cacheRing(c, c.contextLength()).bytes(c));
        LlamaConfig oneBlock = new LlamaConfig(c.dim(), c.hiddenDim(), 1, c.nHeads(), c.nKvHeads(), c.vocabSize(), c.contextLength(),
                c.rmsEps(), c.ropeTheta(), c.ropeStyle(), c.ropeScaling(), c.tiedEmbeddings(), c.family(), c.headSize(), c.slidingWindow());
        KvCache cache = new KvCache(oneBlock, c.contextLength(), 128);
        assertEquals(32768, cache.capacity());
        assertEquals(4224, cache.slots());
        assertEquals(4224 * 1024, cache.allocatedFloats(0));
        assertEquals(4224 * 1024, cache.values[0].length);
    }
}
