package io.jsteer.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelsTest {

    @TempDir
    Path dir;

    @Test
    void parameterCountsAreExact() {
        // stories260K: 512*64 + 5*(2*64 + 64*64*2 + 2*32*64 + 3*172*64) + 64
        assertEquals(260_032L, ModelShapes.stories260K().parameterCount());
        // stories15M: 32000*288 + 6*(2*288 + 4*288*288 + 3*768*288) + 288
        assertEquals(15_191_712L, ModelShapes.stories15M().parameterCount());
        // llama2-110m: 32000*768 + 12*(2*768 + 4*768*768 + 3*2048*768) + 768
        assertEquals(109_529_856L, ModelShapes.llama2_110m().parameterCount());
        // Llama 3.2 1B (tied): 128256*2048 + 16*(2*2048 + 2*2048*2048 + 2*512*2048 + 3*8192*2048) + 2048
        assertEquals(1_235_814_400L, ModelShapes.llama32_1b().parameterCount());
        assertEquals(ModelShapes.stories260K(), ModelShapes.byName("STORIES260k"));
        // Llama 2 7B: 2*32000*4096 (untied) + 32*(2*4096 + 4*4096*4096 + 3*11008*4096) + 4096 = 6,738,415,616 (HF's count)
        assertEquals(6_738_415_616L, ModelShapes.llama2_7b().parameterCount());
        // Llama 3.1 8B: 2*128256*4096 + 32*(2*4096 + 2*4096*4096 + 2*1024*4096 + 3*14336*4096) + 4096 = 8,030,261,248
        assertEquals(8_030_261_248L, ModelShapes.llama31_8b().parameterCount());
    }

    @Test
    void fewerBlocksAndAnotherVocabularyKeepEveryWidth() {
        ModelShape full = ModelShapes.llama31_8b();
        ModelShape cut = full.withLayers(2).withVocabSize(32000);
        assertEquals("llama3.1-8b-2of32-v32000", cut.name());
        assertEquals(List.of(full.dim(), full.hiddenDim(), full.heads(), full.kvHeads(), full.contextLength()),
                List.of(cut.dim(), cut.hiddenDim(), cut.heads(), cut.kvHeads(), cut.contextLength()));
        assertEquals(full.ropeScaling(), cut.ropeScaling());
        // each block of 8B has 218,112,000 weights; embedding and classifier 32000*4096 each; final norm 4096
        assertEquals(2 * 218_112_000L + 2 * 32000L * 4096 + 4096, cut.parameterCount());
        assertEquals(full, full.withLayers(32));
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> full.withLayers(33));
        assertTrue(e.getMessage().contains("--blocks must be 1 to 32"), e.getMessage());
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        SyntheticModels.write(ModelShapes.stories260K(), DType.Q8_0, 42, a);
        SyntheticModels.write(ModelShapes.stories260K(), DType.Q8_0, 42, b);
        SyntheticModels.write(ModelShapes.stories260K(), DType.Q8_0, 43, c);
        assertEquals(-1L, Files.mismatch(a, b));
        assertTrue(Files.mismatch(a, c) >= 0);
    }

    @Test
    void stories260KShapedModelReadsBackWithMetadataAndSensibleValues() throws IOException {
        Path file = dir.resolve("s.gguf");
        SyntheticModels.write(ModelShapes.stories260K(), DType.F32, 7,
                Map.of("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>")), file);
        try (ModelWeights w = ModelFiles.open(file);
             ModelWeights real = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            assertEquals(real.tensors().keySet(), w.tensors().keySet());
            real.tensors().values().forEach(t -> assertArrayEquals(t.shape(), w.tensor(t.name()).shape(), t.name()));
            long total = w.tensors().values().stream().mapToLong(TensorData::elementCount).sum();
            assertEquals(ModelShapes.stories260K().parameterCount(), total);
            Map<String, Object> m = w.metadata();
            for (String key : List.of("llama.embedding_length", "llama.feed_forward_length", "llama.block_count",
                    "llama.attention.head_count", "llama.attention.head_count_kv", "llama.context_length",
                    "llama.vocab_size", "llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base",
                    "jsteer.tied_embeddings", "jsteer.rope.style", "general.architecture")) {
                assertEquals(real.metadata().get(key), m.get(key), key);
            }
            assertEquals(3, ((List<?>) m.get("tokenizer.ggml.tokens")).size());
            for (float v : w.tensor("blk.3.ffn_norm.weight").data().toFloatArray()) {
                assertEquals(1f, v);
            }
            float[] q = w.tensor("blk.0.attn_q.weight").data().toFloatArray();
            double mean = 0, sq = 0;
            for (float v : q) {
                mean += v;
                sq += v * (double) v;
            }
            mean /= q.length;
            double std = Math.sqrt(sq / q.length - mean * mean);
            assertEquals(0.0, mean, 0.002);
            assertEquals(0.02, std, 0.001);
            double downStd = Math.sqrt(sumSquares(w.tensor("blk.0.ffn_down.weight").data().toFloatArray()) / (64 * 172));
            assertEquals(0.02 / Math.sqrt(10), downStd, 0.0005);
        }
    }

    private static double sumSquares(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * (double) x;
        }
        return s;
    }

    @Test
    void quantizedSyntheticModelKeepsOddRowsAndNormsInF32() throws IOException {
        Path file = dir.resolve("q4.gguf");
        SyntheticModels.write(ModelShapes.stories260K(), DType.Q4_0, 1, file);
        try (ModelWeights w = ModelFiles.open(file)) {
            assertEquals(DType.Q4_0, w.tensor("token_embd.weight").dtype());
            assertEquals(DType.Q4_0, w.tensor("blk.4.ffn_up.weight").dtype());
            assertEquals(DType.F32, w.tensor("blk.4.ffn_down.weight").dtype());
            assertEquals(DType.F32, w.tensor("output_norm.weight").dtype());
            assertEquals(2L, w.metadata().get("general.file_type"));
            assertFalse(w.hasTensor("output.weight"));
        }
    }

    @Test
    void llama32ShapeMetadataCarriesRopeScaling() {
        Map<String, Object> m = ModelShapes.llama32_1b().metadata();
        assertEquals("llama3", m.get("llama.rope.scaling.type"));
        assertEquals(32f, m.get("llama.rope.scaling.factor"));
        assertEquals(1f, m.get("llama.rope.scaling.low_freq_factor"));
        assertEquals(4f, m.get("llama.rope.scaling.high_freq_factor"));
        assertEquals(8192L, m.get("llama.rope.scaling.original_context_length"));
        assertEquals(500000f, m.get("llama.rope.freq_base"));
        assertEquals(131072L, m.get("llama.context_length"));
        assertEquals(128256L, m.get("llama.vocab_size"));
        assertEquals(8L, m.get("llama.attention.head_count_kv"));
        assertEquals(true, m.get("jsteer.tied_embeddings"));
    }
}
