package io.jsteer.model.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaCppText;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelFamily;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.Sampler;
import io.jsteer.model.TestModels;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.quant.RopePermutation;
import io.jsteer.weights.safetensors.HfTensorNames;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every family the one block definition runs, against llama.cpp (src/test/resources/family/README.md
 * says how its texts were made), against the trainable path, and from a Hugging Face copy.
 */
class ModelFamiliesTest {

    /** Logit gap per position that counts as a rounding tie (see {@link LlamaCppText}); these logits spread over about 2. */
    private static final float TIE_PER_POSITION = 2.5e-4f;

    private static Path model(Path dir, String family) throws IOException {
        Path f = dir.resolve(family + ".gguf");
        FamilyFixtureModel.write(family, f);
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void greedyTextEqualsLlamaCpp(String family, @TempDir Path dir) throws Exception {
        Path expected = Path.of(ModelFamiliesTest.class.getResource("/family/" + family + ".llama-simple.bin").toURI());
        LlamaCppText.assertSameText(model(dir, family), expected, 32, TIE_PER_POSITION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral"})
    void descriptionIsReadFromTheFile(String family, @TempDir Path dir) throws IOException {
        try (LoadedModel m = ModelLoader.load(model(dir, family), null)) {
            LlamaConfig c = m.config();
            assertEquals(family.equals("mistral") ? ModelFamily.LLAMA : ModelFamily.fromArchitecture(family), c.family());
            assertEquals(family.startsWith("qwen") ? RopeStyle.NEOX : RopeStyle.NORMAL, c.ropeStyle());
            assertEquals(family.equals("qwen3") ? 32 : 16, c.headSize());
            assertEquals(family.equals("qwen3") ? 128 : 64, c.qDim());
            assertEquals(family.equals("mistral") ? FamilyFixtureModel.WINDOW : 0, c.slidingWindow());
            assertEquals(family.equals("qwen2"), m.weights().qBias() != null);
            assertEquals(family.equals("qwen3"), m.weights().qNorm() != null);
            assertEquals(family.equals("llama"), m.weights().ropeFactors() != null);
            assertEquals(family.equals("qwen2"), m.weights().classifier() == m.weights().tokenEmbedding());
        }
    }

    /** 40 tokens (past the mistral window of 8): the engine (prefill of 5, then decode) and the tape agree everywhere. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "mistral"})
    void inferenceAndTrainablePathsAgree(String family, @TempDir Path dir) throws IOException {
        try (LoadedModel m = ModelLoader.load(model(dir, family), null); Parallel par = new Parallel(2);
             CpuEngine e = m.newCpuEngine(128, par)) {
            int[] tokens = greedy(m, e, 40);
            Var logits = TrainableLlama.of(m).logits(new Tape(Precision.F32, par), tokens);
            int vocab = m.config().vocabSize();
            float[] first = e.prefill(java.util.Arrays.copyOf(tokens, 5), 0).clone();
            assertArrayEquals(row(logits, 4, vocab), first, 1e-4f, "prefill");
            for (int p = 5; p < tokens.length; p++) {
                assertArrayEquals(row(logits, p, vocab), e.forward(tokens[p], p, false), 1e-4f, family + " position " + p);
            }
        }
    }

    /**
     * The window changes exactly the positions that can see past it, and the ring cache (40 slots
     * for 100 positions) gives the same logits whether the tokens come one by one or in batches.
     */
    @Test
    void slidingWindowBoundsWhatAQuerySees(@TempDir Path dir) throws IOException {
        try (LoadedModel m = ModelLoader.load(model(dir, "mistral"), null); Parallel par = new Parallel(2)) {
            LlamaConfig windowed = m.config();
            LlamaConfig full = windowed.withFamily(windowed.family(), windowed.headSize(), 0);
            int w = windowed.slidingWindow();
            try (CpuEngine a = new CpuEngine(windowed, m.weights(), 128, par); CpuEngine b = new CpuEngine(full, m.weights(), 128, par);
                 CpuEngine batched = new CpuEngine(windowed, m.weights(), 128, par)) {
                int[] tokens = greedy(m, a, 100);
                for (int p = 0; p < tokens.length; p++) {
                    float[] la = a.forward(tokens[p], p, true).clone();
                    float[] lb = b.forward(tokens[p], p, true);
                    float diff = maxAbsDiff(la, lb);
                    if (p < w) {
                        assertEquals(0f, diff, 1e-6f, "position " + p + " sees no further back than the window");
                    } else {
                        assertTrue(diff > 1e-3f, "position " + p + " must lose what lies beyond the window (diff " + diff + ")");
                    }
                    if (p == tokens.length - 1) {
                        float[] viaBatches = batched.prefill(tokens, 0);
                        assertArrayEquals(la, viaBatches, 1e-4f, "prefill in chunks through the ring cache");
                    }
                }
            }
        }
    }

    /**
     * Past the ring: 100 positions through a cache of 16 slots (window 8 + one prefill batch, which
     * is never longer than the window; the capacity is 128) give, token by token and in prefill batches, the logits of the whole
     * sequence computed at once with the window as a mask (the trainable path keeps every key).
     */
    @Test
    void ringCacheGivesTheWindowMaskedLogitsOfTheWholeSequence(@TempDir Path dir) throws IOException {
        try (LoadedModel m = ModelLoader.load(model(dir, "mistral"), null); Parallel par = new Parallel(2);
             CpuEngine e = m.newCpuEngine(128, par); CpuEngine batched = m.newCpuEngine(128, par)) {
            LlamaConfig c = m.config();
            assertEquals(128, e.capacity());
            assertEquals(2 * FamilyFixtureModel.WINDOW, e.cacheSlots());
            for (int l = 0; l < c.nLayers(); l++) {
                assertEquals(2 * FamilyFixtureModel.WINDOW * c.kvDim(), e.cacheFloats(l), "layer " + l + " keys allocated");
            }
            int[] tokens = greedy(m, e, 100);
            Var whole = TrainableLlama.of(m).logits(new Tape(Precision.F32, par), tokens);
            int vocab = c.vocabSize();
            for (int p = 0; p < tokens.length; p++) {
                assertArrayEquals(row(whole, p, vocab), e.forward(tokens[p], p, true), 1e-4f, "decode, position " + p);
            }
            for (int end = 37; end <= tokens.length; end += 21) { // prefill batches ending at 37, 58, 79, 100
                assertArrayEquals(row(whole, end - 1, vocab), batched.prefill(java.util.Arrays.copyOf(tokens, end), 0), 1e-4f,
                        "prefill of " + end + " tokens");
            }
        }
    }

    /**
     * Going back in a ring: a sequence may continue at a position whose window the ring still holds
     * (the same logits as the first time), and is refused, naming the positions, where later
     * positions overwrote it; reusable(prefix) says which.
     */
    @Test
    void goingBackInTheRingIsExactOrRefused(@TempDir Path dir) throws IOException {
        try (LoadedModel m = ModelLoader.load(model(dir, "mistral"), null); Parallel par = new Parallel(2);
             CpuEngine e = m.newCpuEngine(128, par)) {
            int[] tokens = greedy(m, e, 100);
            List<float[]> first = new ArrayList<>();
            for (int p = 0; p < tokens.length; p++) {
                first.add(e.forward(tokens[p], p, true).clone());
            }
            // 16 slots, positions 0..99 written: position s reads s-7..s-1, intact iff 99 < (s-7) + 16
            assertEquals(91, e.reusable(91));
            assertEquals(0, e.reusable(90));
            assertEquals(0, e.reusable(20));
            var refused = assertThrows(IllegalArgumentException.class, () -> e.forward(tokens[90], 90, true));
            assertTrue(refused.getMessage().contains("position 90 reads positions 83..89") && refused.getMessage().contains("ring of 16"),
                    refused.getMessage());
            assertArrayEquals(first.get(95), e.forward(tokens[95], 95, true), 0f, "back to 95");
            assertArrayEquals(first.get(99), e.prefill(java.util.Arrays.copyOfRange(tokens, 91, 100), 91), 1e-4f, "back to 91, prefilled");
        }
    }

    @Test
    void aQwen2FileLabelledLlamaFailsNamingTheBiases(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("lying.gguf");
        FamilyFixtureModel.write("qwen2", "llama", f);
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(f, null).close());
        assertTrue(e.getMessage().contains("tensor(s) that a llama model does not have: blk.0.attn_k.bias, blk.0.attn_q.bias"),
                e.getMessage());
    }

    @Test
    void aMissingTensorIsNamed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("qwen2-as-qwen3.gguf");
        FamilyFixtureModel.write("qwen2", "qwen3", f);
        var e = assertThrows(RuntimeException.class, () -> ModelLoader.load(f, null).close());
        assertTrue(e.getMessage().contains("blk.0.attn_q_norm.weight") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void anUnknownArchitectureListsTheSupportedOnes(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("gemma.gguf");
        FamilyFixtureModel.write("llama", "gemma", f);
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(f, null).close());
        assertEquals("unsupported architecture 'gemma' (general.architecture); jsteer runs llama, qwen2, qwen3", e.getMessage());
    }

    /** The same weights as a Hugging Face checkpoint (HF names, rotate-half Q/K, config.json) give the same logits. */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3", "mistral"})
    void huggingFaceCopyGivesTheSameLogits(String family, @TempDir Path dir) throws IOException {
        try (LoadedModel gguf = ModelLoader.load(model(dir, family), null)) {
            LlamaConfig c = gguf.config();
            Path hf = Files.createDirectory(dir.resolve("hf"));
            List<SafetensorsTensor> tensors = new ArrayList<>();
            for (TensorData t : gguf.file().tensors().values()) {
                float[] values = t.data().toFloatArray();
                boolean qk = t.name().endsWith("attn_q.weight") || t.name().endsWith("attn_k.weight");
                if (qk && c.ropeStyle() == RopeStyle.NORMAL) { // llama.cpp permuted Llama's q/k rows; HF keeps rotate-half
                    values = toNeox(values, (int) t.shape()[0], (int) t.shape()[1], c.headSize());
                }
                tensors.add(new SafetensorsTensor(HfTensorNames.toHf(t.name()), t.shape(), values));
            }
            SafetensorsWriter.write(hf.resolve("model.safetensors"), Map.of("format", "pt"), tensors);
            Files.writeString(hf.resolve("config.json"), """
                    {"architectures": ["X"], "model_type": "%s", "hidden_size": %d, "intermediate_size": %d,
                     "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "head_dim": %d,
                     "max_position_embeddings": %d, "rms_norm_eps": 1e-06, "rope_theta": %s, "vocab_size": %d,
                     "tie_word_embeddings": %s, "sliding_window": %s, "use_sliding_window": false}
                    """.formatted(family, c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.headSize(),
                    c.contextLength(), c.ropeTheta(), c.vocabSize(), c.tiedEmbeddings() || family.equals("qwen2"),
                    family.equals("mistral") ? c.slidingWindow() : 4096));
            try (LoadedModel h = ModelLoader.load(hf, TestModels.shared("models/tok512.bin")); Parallel par = new Parallel(2);
                 CpuEngine a = gguf.newCpuEngine(64, par); CpuEngine b = h.newCpuEngine(64, par)) {
                assertEquals(c.family(), h.config().family());
                assertEquals(c.slidingWindow(), h.config().slidingWindow());
                int token = 1;
                for (int pos = 0; pos < 20; pos++) {
                    float[] la = a.forward(token, pos, true).clone();
                    assertArrayEquals(la, b.forward(token, pos, true), 1e-4f, family + " position " + pos);
                    token = Sampler.argmax(la, la.length);
                }
            }
        }
    }

    /**
     * A Hugging Face checkpoint whose embedding is padded past its tokenizer (as Qwen2.5's 152,064
     * rows for 151,665 tokens) loads, gives the unpadded model's logits for every token, and never
     * predicts a padding row.
     */
    @Test
    void paddedHuggingFaceEmbeddingIsNeverPredicted(@TempDir Path dir) throws IOException {
        try (LoadedModel gguf = ModelLoader.load(model(dir, "qwen2"), null)) {
            LlamaConfig c = gguf.config();
            int pad = 64, vocab = c.vocabSize();
            Path hf = Files.createDirectory(dir.resolve("hf"));
            List<SafetensorsTensor> tensors = new ArrayList<>();
            for (TensorData t : gguf.file().tensors().values()) {
                float[] values = t.data().toFloatArray();
                long[] shape = t.shape();
                if (t.name().equals("token_embd.weight")) { // padding rows with large values: they would win if not masked
                    values = java.util.Arrays.copyOf(values, (vocab + pad) * c.dim());
                    java.util.Arrays.fill(values, vocab * c.dim(), values.length, 0.5f);
                    shape = new long[] {vocab + pad, c.dim()};
                }
                tensors.add(new SafetensorsTensor(HfTensorNames.toHf(t.name()), shape, values));
            }
            SafetensorsWriter.write(hf.resolve("model.safetensors"), Map.of("format", "pt"), tensors);
            Files.writeString(hf.resolve("config.json"), """
                    {"model_type": "qwen2", "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                     "num_attention_heads": %d, "num_key_value_heads": %d, "max_position_embeddings": %d,
                     "rms_norm_eps": 1e-06, "rope_theta": %s, "vocab_size": %d, "tie_word_embeddings": true}
                    """.formatted(c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.contextLength(),
                    c.ropeTheta(), vocab + pad));
            try (LoadedModel h = ModelLoader.load(hf, TestModels.shared("models/stories260K.gguf")); Parallel par = new Parallel(2);
                 CpuEngine a = gguf.newCpuEngine(64, par); CpuEngine b = h.newCpuEngine(64, par)) {
                assertEquals(vocab + pad, h.config().vocabSize());
                int token = 1;
                for (int pos = 0; pos < 12; pos++) {
                    float[] la = a.forward(token, pos, true).clone();
                    float[] lb = b.forward(token, pos, true);
                    assertArrayEquals(la, java.util.Arrays.copyOf(lb, vocab), 1e-4f, "position " + pos);
                    for (int j = vocab; j < vocab + pad; j++) {
                        assertEquals(-1e30f, lb[j], "padding row " + j);
                    }
                    token = Sampler.argmax(lb, lb.length);
                    assertTrue(token < vocab);
                }
            }
        }
    }

    private static float[] toNeox(float[] normal, int rows, int cols, int headSize) {
        float[] out = new float[normal.length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(normal, (int) RopePermutation.normalRowForNeoxRow(r, headSize) * cols, out, r * cols, cols);
        }
        return out;
    }

    /** Greedy tokens after BOS, {@code n} in all, through a fresh prefix of the engine's cache. */
    private static int[] greedy(LoadedModel m, CpuEngine e, int n) {
        int[] tokens = new int[n];
        tokens[0] = m.tokenizer().bos();
        for (int p = 0; p + 1 < n; p++) {
            float[] logits = e.forward(tokens[p], p, true);
            // greedy text of random weights repeats itself; step through the vocabulary now and then to vary the input
            tokens[p + 1] = p % 3 == 2 ? (tokens[p] * 31 + 7) % m.config().vocabSize() : Sampler.argmax(logits, logits.length);
        }
        return tokens;
    }

    private static float[] row(Var logits, int r, int vocab) {
        float[] out = new float[vocab];
        for (int j = 0; j < vocab; j++) {
            out[j] = (float) logits.get(r * vocab + j);
        }
        return out;
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
