package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Save/load round trip and validation against a model. */
class MatCheckpointTest {

    static MatCheckpoint checkpoint(int d, String site) {
        MatParameters p = MatParameters.initial(List.of("truthfulqa", "bbq"), d, 4);
        return new MatCheckpoint(p, MatParameters.initial(p.attributes(), d, 5).theta(), new MatCheckpoint.Metadata(MatCheckpoint.FORMAT, p.attributes(), d, site,
                Integer.parseInt(site.substring(site.indexOf(':') + 1)), "last", 1, 0.9, 0.9, 0.1, "2", 2, 3.5, 96, 16, 100, 1e-3, 42,
                "stories260K.bin", "sha256-head16M:ab:size:1", Map.of("bbq/Religion.jsonl", "sha256:cd"),
                new LossReport(1, 0.25, 0.5, 1e-3, 1.7), new LossReport(0.5, 0.01, 0.1, 1e-3, 0.6), 0.75, "caa", true));
    }

    @Test
    void roundTripKeepsTensorsAndMetadata(@TempDir Path dir) throws Exception {
        MatCheckpoint c = checkpoint(64, "attn_heads:2");
        c.save(dir.resolve("mat"));
        assertTrue(Files.exists(dir.resolve("mat.safetensors")) && Files.exists(dir.resolve("mat.json")));
        MatCheckpoint back = MatCheckpoint.load(dir.resolve("mat.safetensors"));
        assertEquals(c.metadata(), back.metadata());
        for (int t = 0; t < 2; t++) {
            assertArrayEquals(c.parameters().theta()[t], back.parameters().theta()[t]);
            assertArrayEquals(c.parameters().gateWeight()[t], back.parameters().gateWeight()[t]);
            assertArrayEquals(c.baselineVectors()[t], back.baselineVectors()[t]);
        }
        assertArrayEquals(c.parameters().gateBias(), back.parameters().gateBias());
        assertEquals("attn_heads:2", back.site().toString());
        try (var leftovers = Files.list(dir)) {
            assertEquals(2, leftovers.count(), "no temporary files remain");
        }
    }

    @Test
    void featureCacheKeepsPoolsAndNarrowTargetsUnderItsKey(@TempDir Path dir) throws Exception {
        float[][] pos = {{1, 2}, {3, 4}, {5, 6}}, neg = {{7, 8}}, targets = {{3, 4}};
        List<AttributeFeatures> features = List.of(new AttributeFeatures("happy", pos, neg, targets),
                new AttributeFeatures("animals", neg, pos));
        Path file = dir.resolve("f.safetensors");
        FeatureCache.save(file, "key-1", features);
        List<AttributeFeatures> back = FeatureCache.load(file, "key-1").orElseThrow();
        assertEquals(2, back.size());
        assertArrayEquals(targets[0], back.get(0).targets()[0]);
        assertEquals(1, back.get(0).targets().length);
        assertTrue(!back.get(0).targetsArePositives());
        assertTrue(back.get(1).targetsArePositives(), "no targets tensor: the positives are the targets");
        assertArrayEquals(pos[2], back.get(1).negatives()[2]);
        assertTrue(FeatureCache.load(file, "key-2").isEmpty(), "another key is a miss");
        var e = assertThrows(IllegalArgumentException.class, () -> new AttributeFeatures("x", pos, neg, new float[0][]));
        assertTrue(e.getMessage().contains("MMD targets"), e.getMessage());
    }

    @Test
    void validationAgainstTheModelNamesWidthAndLayer() {
        try (LoadedModel m = Shared.stories()) {
            LlamaConfig cfg = m.config();
            checkpoint(64, "attn_heads:4").requireCompatible(cfg, "stories260K.bin");
            var wide = assertThrows(IllegalArgumentException.class, () -> checkpoint(128, "attn_heads:2").requireCompatible(cfg, "stories260K.bin"));
            assertEquals("MAT-Steer module is 128 wide (trained on stories260K.bin), but stories260K.bin has width 64 at attn_heads:2",
                    wide.getMessage());
            var deep = assertThrows(IllegalArgumentException.class, () -> checkpoint(64, "resid_post:5").requireCompatible(cfg, "stories260K.bin"));
            assertEquals("MAT-Steer module acts at resid_post:5, but stories260K.bin has only 5 blocks (0..4)", deep.getMessage());
        }
    }

    @Test
    void corruptFilesGiveClearErrors(@TempDir Path dir) throws Exception {
        checkpoint(64, "attn_heads:2").save(dir.resolve("mat"));
        String json = Files.readString(dir.resolve("mat.json"));
        // the .safetensors carries the metadata: a damaged .json beside it is not used
        Files.writeString(dir.resolve("mat.json"), json.replace("\"dim\" : 64", "\"dim\" : 32"));
        assertEquals(64, MatCheckpoint.load(dir.resolve("mat")).parameters().dim());
        // a checkpoint as earlier versions wrote it (metadata only in the .json) is read from the .json
        io.jsteer.steering.LegacyFiles.stripEmbeddedMetadata(dir.resolve("mat.safetensors"));
        Files.writeString(dir.resolve("mat.json"), json.replace("\"dim\" : 64", "\"dim\" : 32"));
        var e = assertThrows(java.io.IOException.class, () -> MatCheckpoint.load(dir.resolve("mat")));
        assertTrue(e.getMessage().contains("tensor theta has shape [2, 64], the metadata says [2, 32]"), e.getMessage());
        Files.delete(dir.resolve("mat.json"));
        assertThrows(java.nio.file.NoSuchFileException.class, () -> MatCheckpoint.load(dir.resolve("mat")));
    }
}
