package io.jsteer.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.TinyModels;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.quant.RopePermutation;
import io.jsteer.weights.safetensors.SafetensorsReader;
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

    private final LlamaConfig neox = TinyModels.neoxLlama3Config();
    private final LlamaConfig normal = TinyModels.tinyConfig();

    @Test
    void saveAndLoadRoundTripEveryValueInPeftLayout(@TempDir Path dir) throws Exception {
        for (LlamaConfig c : List.of(neox, normal)) {
            EnumSet<LoraTarget> targets = EnumSet.of(LoraTarget.Q, LoraTarget.K, LoraTarget.V, LoraTarget.UP, LoraTarget.DOWN);
            LoraAdapter adapter = LoraPathsTest.randomAdapter(c, targets, 5, 0.2, Precision.F32);
            Path out = dir.resolve("adapter-" + c.ropeStyle());
            LoraFiles.save(out, adapter.withDropout(0.05), c, "tiny");
            LoraFiles.save(out, adapter.withDropout(0.05), c, "tiny"); // replacing an existing directory
            try (Stream<Path> files = Files.list(dir)) {
                assertTrue(files.allMatch(p -> p.getFileName().toString().startsWith("adapter-")), "no temporary directory left");
            }
            try (Stream<Path> files = Files.list(out)) {
                assertEquals(List.of(LoraMetadata.CONFIG_FILE, LoraMetadata.WEIGHTS_FILE),
                        files.map(p -> p.getFileName().toString()).sorted().toList());
            }
            JsonNode json = new ObjectMapper().readTree(out.resolve(LoraMetadata.CONFIG_FILE).toFile());
            assertEquals("LORA", json.get("peft_type").asText());
            assertEquals(4, json.get("r").asInt());
            assertEquals(8.0, json.get("lora_alpha").asDouble());
            assertEquals(0.05, json.get("lora_dropout").asDouble());
            assertEquals("tiny", json.get("base_model_name_or_path").asText());
            assertEquals("[\"q_proj\",\"k_proj\",\"v_proj\",\"up_proj\",\"down_proj\"]", json.get("target_modules").toString());
            assertEquals(c.nLayers(), json.get("jsteer_layers").asInt());
            assertNull(LoraFiles.metadata(out).layersToTransform());

            // PEFT names and shapes; q/k lora_B rows in Hugging Face (neox) order
            try (ModelWeights w = SafetensorsReader.open(out.resolve(LoraMetadata.WEIGHTS_FILE))) {
                assertEquals(2L * c.nLayers() * targets.size(), w.tensors().size());
                var qb = w.tensor("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight");
                assertArrayEquals(new long[] {c.dim(), 4}, qb.shape());
                assertArrayEquals(new long[] {4, c.hiddenDim()},
                        w.tensor("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight").shape());
                float[] engine = adapter.b(1, LoraTarget.Q).toFloatArray(), file = qb.data().toFloatArray();
                for (int row = 0; row < c.dim(); row++) {
                    long engineRow = c.ropeStyle() == RopeStyle.NORMAL
                            ? RopePermutation.normalRowForNeoxRow(row, c.headSize()) : row;
                    for (int r = 0; r < 4; r++) {
                        assertEquals(engine[(int) engineRow * 4 + r], file[row * 4 + r], "row " + row);
                    }
                }
            }

            LoraAdapter back = LoraFiles.load(out, c);
            assertEquals(targets, back.targets());
            assertEquals(2.0, back.scale());
            for (int l = 0; l < c.nLayers(); l++) {
                for (LoraTarget t : targets) {
                    assertArrayEquals(adapter.a(l, t).toFloatArray(), back.a(l, t).toFloatArray());
                    assertArrayEquals(adapter.b(l, t).toFloatArray(), back.b(l, t).toFloatArray(), t + " block " + l);
                    assertTrue(back.a(l, t).requiresGrad(), "loaded matrices can be trained further");
                }
            }
        }
    }

    @Test
    void aNewAdapterFollowsPeft() {
        LoraAdapter adapter = LoraAdapter.initialize(neox, 8, 16, EnumSet.allOf(LoraTarget.class), 1);
        double bound = 1 / Math.sqrt(neox.hiddenDim());
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
    void directoriesThatDoNotFitTheModelAreRejectedByFileAndField(@TempDir Path dir) throws Exception {
        LoraAdapter adapter = LoraAdapter.initialize(neox, 2, 4, EnumSet.of(LoraTarget.K), 1);
        Path out = dir.resolve("k");
        LoraFiles.save(out, adapter, neox, "tiny");

        LlamaConfig deeper = new LlamaConfig(16, 24, 3, 4, 2, 23, 64, 1e-5f, 10000f, RopeStyle.NEOX, null, false);
        var e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, deeper));
        assertTrue(e.getMessage().contains("adapter_config.json: jsteer_layers: the adapter has 2 blocks, the model has 3"),
                e.getMessage());

        LlamaConfig fullKv = new LlamaConfig(16, 24, 2, 4, 4, 23, 64, 1e-5f, 10000f, RopeStyle.NEOX, null, false);
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, fullKv));
        assertTrue(e.getMessage().contains("adapter_model.safetensors: tensor base_model.model.model.layers.0.self_attn.k_proj"
                + ".lora_B.weight: has shape [8, 2], the model needs [16, 2]"), e.getMessage());

        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(dir.resolve("nothing"), neox));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

        Path config = out.resolve(LoraMetadata.CONFIG_FILE);
        String good = Files.readString(config);
        Files.writeString(config, good.replace("\"LORA\"", "\"IA3\""));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, neox));
        assertTrue(e.getMessage().contains("adapter_config.json: peft_type: expected LORA"), e.getMessage());
        Files.writeString(config, good.replace("\"r\" : 2", "\"r\" : 0"));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, neox));
        assertTrue(e.getMessage().contains("adapter_config.json: r: must be at least 1"), e.getMessage());
        Files.writeString(config, good.replace("\"k_proj\"", "\"qkv_proj\""));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, neox));
        assertTrue(e.getMessage().contains("target_modules: unknown LoRA target 'qkv_proj'"), e.getMessage());
        Files.writeString(config, "{ not json");
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, neox));
        assertTrue(e.getMessage().contains("adapter_config.json: json: unreadable"), e.getMessage());

        // a foreign PEFT directory without jsteer fields: layers come from the tensors, which must all be there
        Files.writeString(config, "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"k_proj\"],"
                + "\"use_rslora\":false}");
        SafetensorsWriter.write(out.resolve(LoraMetadata.WEIGHTS_FILE), Map.of(), List.of(new SafetensorsTensor(
                LoraFiles.tensorName(0, LoraTarget.K, "A"), new long[] {2, 16}, new float[32])));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, neox));
        assertTrue(e.getMessage().contains("tensor base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight: missing"),
                e.getMessage());
        SafetensorsWriter.write(out.resolve(LoraMetadata.WEIGHTS_FILE), Map.of(),
                List.of(new SafetensorsTensor("blk.0.k.lora_a", new long[] {2, 16}, new float[32])));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, neox));
        assertTrue(e.getMessage().contains("tensor blk.0.k.lora_a: not a PEFT LoRA tensor name"), e.getMessage());
    }
}
