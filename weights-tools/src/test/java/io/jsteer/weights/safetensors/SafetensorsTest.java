package io.jsteer.weights.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelFormat;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.SharedFiles;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.quant.GgufConverter;
import io.jsteer.weights.quant.RopePermutation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    static final String CONFIG = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama",
             "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,
             "num_attention_heads": 8, "num_key_value_heads": 4, "max_position_embeddings": 512,
             "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "vocab_size": 512, "tie_word_embeddings": true,
             "torch_dtype": "float32"}
            """;

    /**
     * stories260K as a Hugging Face checkpoint: HF names, and Q/K rows in the neox layout that
     * llama.cpp's converter undoes (so converting back must give the original exactly).
     */
    static List<SafetensorsTensor> hfTensors(ModelWeights bin) {
        List<SafetensorsTensor> out = new ArrayList<>();
        for (TensorData t : bin.tensors().values()) {
            float[] v = t.data().toFloatArray();
            int heads = t.name().endsWith("attn_q.weight") ? 8 : t.name().endsWith("attn_k.weight") ? 4 : 0;
            if (heads > 0) {
                int cols = (int) t.cols();
                int headSize = (int) t.rows() / heads;
                float[] neox = new float[v.length];
                for (int r = 0; r < t.rows(); r++) {
                    int source = (int) RopePermutation.neoxRowForNormalRow(r, headSize);
                    System.arraycopy(v, r * cols, neox, source * cols, cols);
                }
                v = neox;
            }
            out.add(new SafetensorsTensor(HfTensorNames.toHf(t.name()), t.shape(), v));
        }
        return out;
    }

    @Test
    void singleFileModelReadsWithGgufNamesAndSynthesizedMetadata() throws IOException {
        Path model = dir.resolve("hf");
        try (ModelWeights bin = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            SafetensorsWriter.write(model.resolve("model.safetensors"), Map.of("format", "pt"), hfTensors(bin));
            Files.writeString(model.resolve("config.json"), CONFIG);
            try (ModelWeights hf = ModelFiles.open(model)) {
                assertEquals(ModelFormat.SAFETENSORS, hf.format());
                assertEquals(bin.tensors().keySet(), hf.tensors().keySet());
                for (TensorData t : bin.tensors().values()) {
                    assertArrayEquals(t.shape(), hf.tensor(t.name()).shape(), t.name());
                }
                assertArrayEquals(bin.tensor("blk.2.ffn_down.weight").data().toFloatArray(),
                        hf.tensor("blk.2.ffn_down.weight").data().toFloatArray());
                Map<String, Object> m = hf.metadata();
                assertEquals("llama", m.get("general.architecture"));
                assertEquals(64L, m.get("llama.embedding_length"));
                assertEquals(172L, m.get("llama.feed_forward_length"));
                assertEquals(5L, m.get("llama.block_count"));
                assertEquals(8L, m.get("llama.attention.head_count"));
                assertEquals(4L, m.get("llama.attention.head_count_kv"));
                assertEquals(512L, m.get("llama.context_length"));
                assertEquals(1e-5f, m.get("llama.attention.layer_norm_rms_epsilon"));
                assertEquals(10000f, m.get("llama.rope.freq_base"));
                assertEquals(512L, m.get("llama.vocab_size"));
                assertEquals("neox", m.get("jsteer.rope.style"));
                assertEquals(true, m.get("jsteer.tied_embeddings"));
                assertFalse(m.containsKey("llama.rope.scaling.type"));
            }
        }
    }

    @Test
    void shardedModelConvertsToGgufEqualToTheOriginal() throws IOException {
        Path model = dir.resolve("sharded");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), CONFIG);
        try (ModelWeights bin = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            List<SafetensorsTensor> all = hfTensors(bin);
            List<SafetensorsTensor> first = all.subList(0, all.size() / 2);
            List<SafetensorsTensor> second = all.subList(all.size() / 2, all.size());
            SafetensorsWriter.write(model.resolve("model-00001-of-00002.safetensors"), Map.of(), first);
            SafetensorsWriter.write(model.resolve("model-00002-of-00002.safetensors"), Map.of(), second);
            StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
            for (int i = 0; i < all.size(); i++) {
                index.append(i == 0 ? "" : ",").append('"').append(all.get(i).name()).append("\": \"model-0000")
                        .append(i < first.size() ? 1 : 2).append("-of-00002.safetensors\"");
            }
            Files.writeString(model.resolve("model.safetensors.index.json"), index.append("}}").toString());

            Path gguf = dir.resolve("from-hf.gguf");
            try (ModelWeights hf = ModelFiles.open(model)) {
                assertEquals(bin.tensors().size(), hf.tensors().size());
                // the stored Q differs from the original: it is in the neox layout
                assertFalse(java.util.Arrays.equals(bin.tensor("blk.0.attn_q.weight").data().toFloatArray(),
                        hf.tensor("blk.0.attn_q.weight").data().toFloatArray()));
                GgufConverter.convert(hf, DType.F32, Map.of(), gguf);
            }
            try (ModelWeights converted = ModelFiles.open(gguf)) {
                assertEquals("normal", converted.metadata().get(LlamaKeys.ROPE_STYLE));
                for (TensorData t : bin.tensors().values()) {
                    assertEquals(-1L, t.data().segment().mismatch(converted.tensor(t.name()).data().segment()), t.name());
                }
            }
        }
    }

    @Test
    void indexPointingAtAMissingTensorOrOutsideTheDirectoryFails() throws IOException {
        Path model = dir.resolve("bad");
        Files.createDirectories(model);
        Files.writeString(model.resolve("config.json"), CONFIG);
        SafetensorsWriter.write(model.resolve("a.safetensors"), Map.of(),
                List.of(new SafetensorsTensor("model.norm.weight", new long[] {2}, new float[] {1, 2})));
        Files.writeString(model.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.norm.weight\": \"a.safetensors\", \"lm_head.weight\": \"a.safetensors\"}}");
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> ModelFiles.open(model));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("a.safetensors"), e.getMessage());
        Files.writeString(model.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"model.norm.weight\": \"../a.safetensors\"}}");
        e = assertThrows(WeightFormatException.class, () -> ModelFiles.open(model));
        assertTrue(e.getMessage().contains("weight_map.model.norm.weight"), e.getMessage());
    }

    @Test
    void llama3RopeScalingAndUntiedHeadAreReported() throws IOException {
        Path model = dir.resolve("l3");
        SafetensorsWriter.write(model.resolve("model.safetensors"), Map.of(), List.of(
                new SafetensorsTensor("model.embed_tokens.weight", new long[] {4, 2}, new float[8]),
                new SafetensorsTensor("lm_head.weight", new long[] {4, 2}, new float[8]),
                new SafetensorsTensor("model.layers.0.self_attn.rotary_emb.inv_freq", new long[] {1}, new float[1])));
        Files.writeString(model.resolve("config.json"), """
                {"hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 131072,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "vocab_size": 128256,
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
                """);
        try (ModelWeights w = ModelFiles.open(model)) {
            Map<String, Object> m = w.metadata();
            assertEquals("llama3", m.get("llama.rope.scaling.type"));
            assertEquals(32f, m.get("llama.rope.scaling.factor"));
            assertEquals(1f, m.get("llama.rope.scaling.low_freq_factor"));
            assertEquals(4f, m.get("llama.rope.scaling.high_freq_factor"));
            assertEquals(8192L, m.get("llama.rope.scaling.original_context_length"));
            assertEquals(500000f, m.get("llama.rope.freq_base"));
            assertEquals(131072L, m.get("llama.context_length"));
            assertEquals(128256L, m.get("llama.vocab_size"));
            assertEquals(false, m.get("jsteer.tied_embeddings"));
            assertEquals(List.of("token_embd.weight", "output.weight"), List.copyOf(w.tensors().keySet()),
                    "inv_freq buffers are dropped");
        }
    }

    @Test
    void plainFileKeepsItsNamesAndMetadata() throws IOException {
        Path file = dir.resolve("vectors.safetensors");
        float[] v = {0.5f, -1f, 2f, 3f, 4f, 5f};
        SafetensorsWriter.write(file, Map.of("method", "mean-diff", "site", "resid_post"),
                List.of(new SafetensorsTensor("direction.3", new long[] {2, 3}, v),
                        new SafetensorsTensor("scalar", new long[] {}, new float[] {7f})));
        try (ModelWeights w = ModelFiles.open(file)) {
            assertEquals(Map.of("method", "mean-diff", "site", "resid_post"), w.metadata());
            assertArrayEquals(v, w.tensor("direction.3").data().toFloatArray());
            assertArrayEquals(new long[] {2, 3}, w.tensor("direction.3").shape());
            assertEquals(7f, w.tensor("scalar").data().getFloat(0));
            assertEquals(0, w.tensor("direction.3").data().segment().address() % 8, "data buffer is 8-aligned");
        }
    }

    @Test
    void halfPrecisionDtypesAreRead() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        b.putShort(Float.floatToFloat16(1.5f)).putShort(Float.floatToFloat16(-2f));
        b.putShort((short) (Float.floatToIntBits(3f) >>> 16)).putShort((short) (Float.floatToIntBits(-0.5f) >>> 16));
        Path file = dir.resolve("half.safetensors");
        Files.write(file, b.array());
        try (ModelWeights w = ModelFiles.open(file)) {
            assertEquals(DType.F16, w.tensor("a").dtype());
            assertEquals(DType.BF16, w.tensor("b").dtype());
            assertArrayEquals(new float[] {1.5f, -2f}, w.tensor("a").data().toFloatArray());
            assertArrayEquals(new float[] {3f, -0.5f}, w.tensor("b").data().toFloatArray());
        }
    }

    @Test
    void namesMapBothWays() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("model.embed_tokens.weight", "token_embd.weight");
        cases.put("model.norm.weight", "output_norm.weight");
        cases.put("lm_head.weight", "output.weight");
        cases.put("model.layers.11.self_attn.q_proj.weight", "blk.11.attn_q.weight");
        cases.put("model.layers.0.self_attn.k_proj.weight", "blk.0.attn_k.weight");
        cases.put("model.layers.0.self_attn.v_proj.weight", "blk.0.attn_v.weight");
        cases.put("model.layers.0.self_attn.o_proj.weight", "blk.0.attn_output.weight");
        cases.put("model.layers.3.mlp.gate_proj.weight", "blk.3.ffn_gate.weight");
        cases.put("model.layers.3.mlp.up_proj.weight", "blk.3.ffn_up.weight");
        cases.put("model.layers.3.mlp.down_proj.weight", "blk.3.ffn_down.weight");
        cases.put("model.layers.3.input_layernorm.weight", "blk.3.attn_norm.weight");
        cases.put("model.layers.3.post_attention_layernorm.weight", "blk.3.ffn_norm.weight");
        cases.forEach((hf, gguf) -> {
            assertEquals(gguf, HfTensorNames.toGguf(hf).orElseThrow());
            assertEquals(hf, HfTensorNames.toHf(gguf));
        });
    }
}
