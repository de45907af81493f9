package io.jsteer.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.TinyModels;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraFilesTest {

    private final LlamaConfig c = TinyModels.neoxLlama3Config();

    @Test
    void saveAndLoadRoundTripEveryValue(@TempDir Path dir) throws Exception {
        EnumSet<LoraTarget> targets = EnumSet.of(LoraTarget.Q, LoraTarget.V, LoraTarget.UP, LoraTarget.DOWN);
        LoraAdapter adapter = LoraPathsTest.randomAdapter(c, targets, 5, 0.2, Precision.F32);
        Path file = dir.resolve("adapter.safetensors");
        LoraFiles.save(file, adapter, c, "tiny-neox");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
        LoraMetadata meta = LoraFiles.metadata(file);
        assertEquals(new LoraMetadata(LoraMetadata.FORMAT, "tiny-neox", 4, 8.0, List.of("q", "v", "up", "down"), 2, 16), meta);

        LoraAdapter back = LoraFiles.load(file, c);
        assertEquals(targets, back.targets());
        assertEquals(4, back.rank());
        assertEquals(2.0, back.scale());
        for (int l = 0; l < 2; l++) {
            for (LoraTarget t : targets) {
                assertArrayEquals(adapter.a(l, t).toFloatArray(), back.a(l, t).toFloatArray());
                assertArrayEquals(adapter.b(l, t).toFloatArray(), back.b(l, t).toFloatArray());
                assertArrayEquals(adapter.b(l, t).shape(), back.b(l, t).shape());
                assertTrue(back.a(l, t).requiresGrad(), "loaded matrices can be trained further");
            }
        }
    }

    @Test
    void aNewAdapterFollowsPeft() {
        LoraAdapter adapter = LoraAdapter.initialize(c, 8, 16, EnumSet.allOf(LoraTarget.class), 1);
        double bound = 1 / Math.sqrt(c.hiddenDim());
        float[] down = adapter.a(1, LoraTarget.DOWN).toFloatArray();
        double max = 0;
        for (float v : down) {
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max <= bound && max > 0.8 * bound, "A ~ U(±1/sqrt(in)): max |a| = " + max + ", bound " + bound);
        for (float v : adapter.b(0, LoraTarget.GATE).toFloatArray()) {
            assertEquals(0f, v);
        }
        assertEquals(2.0, adapter.scale());
        assertEquals(28, adapter.parameters().size());
    }

    @Test
    void filesThatDoNotFitTheModelAreRejectedByName(@TempDir Path dir) throws Exception {
        LoraAdapter adapter = LoraAdapter.initialize(c, 2, 4, EnumSet.of(LoraTarget.K), 1);
        Path file = dir.resolve("k.safetensors");
        LoraFiles.save(file, adapter, c, "tiny");

        LlamaConfig deeper = new LlamaConfig(16, 24, 3, 4, 2, 23, 64, 1e-5f, 10000f, RopeStyle.NEOX, null, false);
        var e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(file, deeper));
        assertTrue(e.getMessage().contains("the adapter has 2 blocks, the model has 3"), e.getMessage());

        LlamaConfig fullKv = new LlamaConfig(16, 24, 2, 4, 4, 23, 64, 1e-5f, 10000f, RopeStyle.NEOX, null, false);
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(file, fullKv));
        assertTrue(e.getMessage().contains("blk.0.k.lora_b: has shape [8, 2], the model needs [16, 2]"), e.getMessage());

        Path plain = dir.resolve("plain.safetensors");
        SafetensorsWriter.write(plain, Map.of(), List.of(new SafetensorsTensor("x", new long[] {2}, new float[2])));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(plain, c));
        assertTrue(e.getMessage().contains("not a jsteer LoRA adapter file"), e.getMessage());

        Path missing = dir.resolve("missing.safetensors");
        String json = "{\"format\":\"jsteer-lora-v1\",\"model\":\"m\",\"rank\":2,\"alpha\":4.0,\"targets\":[\"k\"],\"layers\":2,\"dim\":16}";
        SafetensorsWriter.write(missing, Map.of(LoraMetadata.KEY, json),
                List.of(new SafetensorsTensor("blk.0.k.lora_a", new long[] {2, 16}, new float[32])));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(missing, c));
        assertTrue(e.getMessage().contains("tensor blk.0.k.lora_b: missing"), e.getMessage());
    }
}
