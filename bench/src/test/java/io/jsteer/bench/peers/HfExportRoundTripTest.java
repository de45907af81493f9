package io.jsteer.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF written as safetensors + config.json (the peers' input) loads back in jsteer as the same
 * model: equal logits at every position, which holds only if names, the Q/K row order (GGUF's
 * adjacent pairs → HF's rotate-half) and the config (GQA, llama3 RoPE scaling, untied classifier)
 * all survive the trip.
 */
class HfExportRoundTripTest {

    @TempDir
    Path tmp;

    @Test
    void logitsOfTheHfCopyEqualTheGgufs() throws Exception {
        Path gguf = TinyModels.gguf(tmp, TinyModels.shape(false, TinyModels.llama3()), 5);
        Path hf = tmp.resolve("hf");
        PeerModels.writeHf(gguf, hf);

        JsonNode config = new ObjectMapper().readTree(hf.resolve("config.json").toFile());
        assertEquals("llama3", config.get("rope_scaling").get("rope_type").asText());
        assertFalse(config.get("tie_word_embeddings").asBoolean());
        assertTrue(Files.size(hf.resolve("tokenizer.json")) > 256 * 4);

        int[] tokens = {3, 250, 17, 17, 99, 0, 128, 42, 7, 200};
        float[][] a = logits(gguf, tokens);
        float[][] b = logits(hf, tokens);
        float maxAbs = 0, maxDiff = 0;
        for (int p = 0; p < tokens.length; p++) {
            for (int i = 0; i < a[p].length; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(a[p][i]));
                maxDiff = Math.max(maxDiff, Math.abs(a[p][i] - b[p][i]));
            }
        }
        assertTrue(maxAbs > 1e-3, "logits are not all ~0: " + maxAbs);
        assertTrue(maxDiff < 1e-5, "max |Δlogit| " + maxDiff);
    }

    @Test
    void tiedModelWithoutScalingRoundTrips() throws Exception {
        Path gguf = TinyModels.gguf(tmp, TinyModels.shape(true, null), 6);
        Path hf = tmp.resolve("hf");
        PeerModels.writeHf(gguf, hf);
        try (ModelWeights w = ModelFiles.open(hf)) {
            assertEquals("neox", w.metadata().get("jsteer.rope.style"));
        }
        float[][] a = logits(gguf, new int[] {1, 2, 3, 4});
        float[][] b = logits(hf, new int[] {1, 2, 3, 4});
        float diff = 0;
        for (int i = 0; i < a[3].length; i++) {
            diff = Math.max(diff, Math.abs(a[3][i] - b[3][i]));
        }
        assertTrue(diff < 1e-5, "tied model: max |Δlogit| " + diff);
    }

    static float[][] logits(Path model, int[] tokens) {
        try (ModelWeights file = ModelFiles.open(model); Parallel par = new Parallel(1)) {
            LlamaConfig c = LlamaConfig.fromMetadata(file.metadata());
            try (CpuEngine e = new CpuEngine(c, LlamaWeights.load(c, ModelLoader.lookup(file)), 32, par)) {
                float[][] out = new float[tokens.length][];
                for (int p = 0; p < tokens.length; p++) {
                    out[p] = e.forward(tokens[p], p, true).clone();
                }
                return out;
            }
        }
    }
}
