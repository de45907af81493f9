package io.jsteer.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real stories260K checkpoint in both formats (values from shared/models/MANIFEST.md). */
class Stories260KTest {

    static final int DIM = 64, HIDDEN = 172, LAYERS = 5, VOCAB = 512, KV_DIM = 32;

    static Map<String, long[]> expectedShapes(boolean withOutput) {
        Map<String, long[]> m = new java.util.LinkedHashMap<>();
        m.put("token_embd.weight", new long[] {VOCAB, DIM});
        m.put("output_norm.weight", new long[] {DIM});
        if (withOutput) {
            m.put("output.weight", new long[] {VOCAB, DIM});
        }
        for (int i = 0; i < LAYERS; i++) {
            m.put("blk." + i + ".attn_norm.weight", new long[] {DIM});
            m.put("blk." + i + ".attn_q.weight", new long[] {DIM, DIM});
            m.put("blk." + i + ".attn_k.weight", new long[] {KV_DIM, DIM});
            m.put("blk." + i + ".attn_v.weight", new long[] {KV_DIM, DIM});
            m.put("blk." + i + ".attn_output.weight", new long[] {DIM, DIM});
            m.put("blk." + i + ".ffn_norm.weight", new long[] {DIM});
            m.put("blk." + i + ".ffn_gate.weight", new long[] {HIDDEN, DIM});
            m.put("blk." + i + ".ffn_down.weight", new long[] {DIM, HIDDEN});
            m.put("blk." + i + ".ffn_up.weight", new long[] {HIDDEN, DIM});
        }
        return m;
    }

    @Test
    void binHasEveryTensorWithItsShape() {
        try (ModelWeights w = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            assertEquals(ModelFormat.LLAMA2C, w.format());
            Map<String, long[]> expected = expectedShapes(false);
            assertEquals(expected.keySet(), w.tensors().keySet());
            expected.forEach((name, shape) -> {
                assertArrayEquals(shape, w.tensor(name).shape(), name);
                assertEquals(DType.F32, w.tensor(name).dtype());
            });
            assertEquals(260032, w.tensors().values().stream().mapToLong(TensorData::elementCount).sum());
        }
    }

    @Test
    void ggufHasEveryTensorWithItsShape() {
        try (ModelWeights w = ModelFiles.open(SharedFiles.model("stories260K.gguf"))) {
            assertEquals(ModelFormat.GGUF, w.format());
            Map<String, long[]> expected = expectedShapes(true);
            assertEquals(48, w.tensors().size());
            assertEquals(expected.keySet(), new java.util.HashSet<>(w.tensors().keySet()));
            expected.forEach((name, shape) -> assertArrayEquals(shape, w.tensor(name).shape(), name));
        }
    }

    @Test
    void all48TensorsAreBitIdenticalBetweenBinAndGguf() {
        try (ModelWeights bin = ModelFiles.open(SharedFiles.model("stories260K.bin"));
             ModelWeights gguf = ModelFiles.open(SharedFiles.model("stories260K.gguf"))) {
            int compared = 0;
            for (TensorData g : gguf.tensors().values()) {
                // output.weight in the GGUF is a stored copy of the tied embedding
                String binName = g.name().equals("output.weight") ? "token_embd.weight" : g.name();
                TensorData b = bin.tensor(binName);
                assertEquals(b.data().segment().mismatch(g.data().segment()), -1L, g.name());
                compared++;
            }
            assertEquals(48, compared);
        }
    }

    @Test
    void ggufMetadataMatchesManifest() {
        try (ModelWeights w = ModelFiles.open(SharedFiles.model("stories260K.gguf"))) {
            Map<String, Object> m = w.metadata();
            assertEquals("llama", m.get("general.architecture"));
            assertEquals("llama", m.get("general.name"));
            assertEquals(2048L, m.get("llama.context_length"));
            assertEquals(64L, m.get("llama.embedding_length"));
            assertEquals(172L, m.get("llama.feed_forward_length"));
            assertEquals(8L, m.get("llama.attention.head_count"));
            assertEquals(4L, m.get("llama.attention.head_count_kv"));
            assertEquals(5L, m.get("llama.block_count"));
            assertEquals(8L, m.get("llama.rope.dimension_count"));
            assertEquals(1e-5f, m.get("llama.attention.layer_norm_rms_epsilon"));
            assertEquals("llama", m.get("tokenizer.ggml.model"));
            assertEquals(0L, m.get("tokenizer.ggml.unknown_token_id"));
            assertEquals(1L, m.get("tokenizer.ggml.bos_token_id"));
            assertEquals(2L, m.get("tokenizer.ggml.eos_token_id"));
            assertEquals(0xFFFFFFFFL, m.get("tokenizer.ggml.padding_token_id"));
            List<?> tokens = (List<?>) m.get("tokenizer.ggml.tokens");
            List<?> scores = (List<?>) m.get("tokenizer.ggml.scores");
            List<?> types = (List<?>) m.get("tokenizer.ggml.token_type");
            assertEquals(512, tokens.size());
            assertEquals(512, scores.size());
            assertEquals(512, types.size());
            assertEquals("<unk>", tokens.get(0));
            assertEquals("<s>", tokens.get(1));
            assertEquals("<0x00>", tokens.get(3));
            assertTrue(tokens.get(403).toString().startsWith("\u2581"), "word-initial pieces use U+2581");
            assertEquals(2L, types.get(0));
            assertEquals(3L, types.get(1));
            assertEquals(6L, types.get(3));
            assertEquals(1L, types.get(300));
            assertTrue(scores.get(0) instanceof Float);
            // synthesized defaults of the unified view
            assertEquals(10000f, m.get("llama.rope.freq_base"));
            assertEquals(512L, m.get("llama.vocab_size"));
            assertEquals("normal", m.get("jsteer.rope.style"));
            assertEquals(false, m.get("jsteer.tied_embeddings"));
            assertEquals(19 + 4, m.size()); // 19 stored keys + 4 defaults
        }
    }

    @Test
    void binMetadataIsSynthesizedFromTheHeader() {
        try (ModelWeights w = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            Map<String, Object> m = w.metadata();
            assertEquals("llama", m.get("general.architecture"));
            assertEquals(512L, m.get("llama.context_length"));
            assertEquals(64L, m.get("llama.embedding_length"));
            assertEquals(172L, m.get("llama.feed_forward_length"));
            assertEquals(5L, m.get("llama.block_count"));
            assertEquals(8L, m.get("llama.attention.head_count"));
            assertEquals(4L, m.get("llama.attention.head_count_kv"));
            assertEquals(1e-5f, m.get("llama.attention.layer_norm_rms_epsilon"));
            assertEquals(10000f, m.get("llama.rope.freq_base"));
            assertEquals(512L, m.get("llama.vocab_size"));
            assertEquals("normal", m.get("jsteer.rope.style"));
            assertEquals(true, m.get("jsteer.tied_embeddings"));
            assertFalse(w.hasTensor("output.weight"));
        }
    }

    @Test
    void missingTensorErrorNamesFileAndTensor() {
        try (ModelWeights w = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            WeightFormatException e = org.junit.jupiter.api.Assertions.assertThrows(WeightFormatException.class,
                    () -> w.tensor("blk.9.attn_q.weight"));
            assertTrue(e.getMessage().contains("stories260K.bin"), e.getMessage());
            assertTrue(e.getMessage().contains("blk.9.attn_q.weight"), e.getMessage());
        }
    }

    @Test
    void vocabularyOnlyGgufReadsWithZeroTensors() {
        try (ModelWeights w = ModelFiles.open(SharedFiles.model("ggml-vocab-llama-spm.gguf"))) {
            assertEquals(0, w.tensors().size());
            assertEquals("llama-spm", w.metadata().get("general.name"));
            assertEquals(32000, ((List<?>) w.metadata().get("tokenizer.ggml.tokens")).size());
            assertEquals(true, w.metadata().get("tokenizer.ggml.add_bos_token"));
        }
    }
}
