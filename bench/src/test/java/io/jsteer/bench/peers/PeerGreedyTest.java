package io.jsteer.bench.peers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks: Jlama (its own loader and kernels) and the DJL/PyTorch port (its own forward pass)
 * produce jsteer's greedy tokens on the same random weights, prefill and decode both. The tokens of
 * a random model change with any error in layout, RoPE, GQA, norms or the cache, so equality over
 * 24 tokens is a strong check.
 */
class PeerGreedyTest {

    static final int THREADS = 2;
    static final int[] PROMPT = {5, 77, 200, 31, 9, 140};
    static final int N = 24;

    @TempDir
    Path tmp;

    @Test
    void djlPortMatchesJsteerWithGqaAndLlama3Rope() throws Exception {
        Path gguf = TinyModels.gguf(tmp, TinyModels.shape(false, TinyModels.llama3()), 11);
        Path hf = tmp.resolve("hf");
        PeerModels.writeHf(gguf, hf);
        int[] expected = jsteer(gguf);
        try (DjlLlamaPeer djl = new DjlLlamaPeer(hf, THREADS, 64)) {
            assertArrayEquals(expected, djl.greedy(PROMPT, N), "djl vs jsteer " + Arrays.toString(expected));
            assertTrue(djl.weights().contains(THREADS + " threads"), djl.weights());
            // a second sequence on the same peer starts from an empty cache
            assertArrayEquals(expected, djl.greedy(PROMPT, N));
        }
    }

    @Test
    void jlamaMatchesJsteer() throws Exception {
        // Jlama 0.8.4 reads only "linear" rope_scaling: this model has none
        Path gguf = TinyModels.gguf(tmp, TinyModels.shape(false, null), 12);
        Path hf = tmp.resolve("hf");
        PeerModels.writeHf(gguf, hf);
        int[] expected = jsteer(gguf);
        float[] logits;
        try (JsteerPeer j = new JsteerPeer(gguf, THREADS, 64, -1)) {
            j.greedy(PROMPT, N);
            logits = j.lastLogits();
        }
        try (JlamaPeer jlama = new JlamaPeer(hf, JlamaPeer.Format.F32, THREADS)) {
            assertArrayEquals(expected, jlama.greedy(PROMPT, N), "jlama vs jsteer " + Arrays.toString(expected));
            double rel = PeerBench.relativeDifference(logits, jlama.lastLogits());
            assertTrue(rel < 1e-4, "jlama logits differ by " + rel);
            assertArrayEquals(expected, jlama.greedy(PROMPT, N));
        }
    }

    @Test
    void greedyTokensAreNotTrivial() throws Exception {
        // a check that a constant output would pass is no check: the reference must vary
        Path gguf = TinyModels.gguf(tmp, TinyModels.shape(false, null), 12);
        int[] t = jsteer(gguf);
        assertTrue(Arrays.stream(t).distinct().count() >= 3, Arrays.toString(t));
        assertEquals(N, t.length);
    }

    @Test
    void logitsAgreeToo() throws Exception {
        Path gguf = TinyModels.gguf(tmp, TinyModels.shape(true, TinyModels.llama3()), 13);
        Path hf = tmp.resolve("hf");
        PeerModels.writeHf(gguf, hf);
        float[] expected;
        try (JsteerPeer j = new JsteerPeer(gguf, THREADS, 64, -1)) {
            j.greedy(PROMPT, 5);
            expected = j.lastLogits();
        }
        try (DjlLlamaPeer djl = new DjlLlamaPeer(hf, THREADS, 64)) {
            djl.greedy(PROMPT, 5);
            double rel = PeerBench.relativeDifference(expected, djl.lastLogits());
            assertTrue(rel < 1e-4, "djl logits differ by " + rel);
        }
        // the steered engine computes another function: the check would catch a peer that did
        try (JsteerPeer s = new JsteerPeer(gguf, THREADS, 64, 0)) {
            s.steer(true);
            s.greedy(PROMPT, 5);
            assertTrue(PeerBench.relativeDifference(expected, s.lastLogits()) > PeerBench.LOGIT_TOLERANCE);
        }
    }

    private static int[] jsteer(Path gguf) {
        try (JsteerPeer j = new JsteerPeer(gguf, THREADS, 64, -1)) {
            return j.greedy(PROMPT, N);
        }
    }
}
