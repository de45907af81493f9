package io.jsteer.model.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.Generator;
import io.jsteer.model.LlamaCppText;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.Sampler;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp is the oracle for every quantization (src/test/resources/quant/README.md says how the
 * fixtures were made): its quantizer wrote each file from one random F32 model, its dequantizer
 * gave the reference values, and its llama-simple the greedy continuation of "Once upon a time".
 */
class QuantFixturesTest {

    static final String[] FILES = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"};
    static final int TOKENS = 32;

    static JsonNode reference;

    @BeforeAll
    static void readReference() throws IOException {
        reference = new ObjectMapper().readTree(resource("dequantized.json").toFile());
    }

    static Path resource(String name) {
        try {
            return Path.of(QuantFixturesTest.class.getResource("/quant/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test fixture quant/" + name, e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void dequantizationEqualsLlamaCpp(String file) {
        assertDequantizedAs(resource("q256-" + file + ".gguf"), reference.get(file), file);
    }

    /**
     * Every tensor of {@code model} dequantizes to llama.cpp's values in {@code expected} (one
     * entry of a dequantized.json: type, count, sum, sum of squares and sampled values).
     */
    static void assertDequantizedAs(Path model, JsonNode expected, String file) {
        try (ModelWeights w = ModelFiles.open(model)) {
            assertEquals(expected.size(), w.tensors().size());
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                TensorData t = w.tensor(e.getKey());
                JsonNode ref = e.getValue();
                String where = file + " " + t.name() + " (" + t.dtype() + ")";
                assertEquals(ref.get("type").asText().toLowerCase(Locale.ROOT), t.dtype().label(), where);
                float[] values = t.data().toFloatArray();
                assertEquals(ref.get("count").asInt(), values.length, where);
                for (JsonNode s : ref.get("samples")) {
                    float want = (float) s.get(1).asDouble();
                    float got = values[s.get(0).asInt()];
                    assertEquals(want, got, Math.abs(want) * 1e-6f, where + " at " + s.get(0).asInt());
                }
                double sum = 0, squares = 0;
                for (float v : values) {
                    sum += v;
                    squares += (double) v * v;
                }
                double scale = Math.sqrt(ref.get("sumSquares").asDouble() * values.length);
                assertEquals(ref.get("sum").asDouble(), sum, scale * 1e-6, where + " sum");
                assertEquals(ref.get("sumSquares").asDouble(), squares, ref.get("sumSquares").asDouble() * 1e-6, where + " sum of squares");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void greedyTextEqualsLlamaCpp(String file) throws IOException {
        assertSameText(resource("q256-" + file + ".gguf"), resource("q256-" + file + ".llama-simple.bin"));
    }

    /** The F32 model is not committed: it is regenerated (same seed, same bytes) and must give llama.cpp's text too. */
    @Test
    void greedyTextOfTheF32SourceEqualsLlamaCpp(@TempDir Path dir) throws IOException {
        Path f32 = dir.resolve("q256-f32.gguf");
        QuantFixtureModel.write(f32);
        assertSameText(f32, resource("q256-f32.llama-simple.bin"));
    }

    static void assertSameText(Path model, Path expectedBytes) throws IOException {
        LlamaCppText.assertSameText(model, expectedBytes, TOKENS, TIE_PER_POSITION);
    }

    /**
     * Largest logit gap per generated position that counts as a tie broken by rounding (the
     * logits of this model spread over about 0.3). Rounding differences (RoPE angles, softmax,
     * the order of scaling) accumulate along the sequence through the KV cache, so the bound
     * grows with the position. Measured at the divergences (2026-12-03): Q3_K_M 2e-5 at token 1,
     * Q6_K 6e-4 at token 6, IQ4_XS 3.5e-3 at token 17, Q4_1 5.0e-3 at token 26; the eight other
     * files and F32 give llama.cpp's exact bytes for all 32 tokens (or up to its end of text).
     */
    static final float TIE_PER_POSITION = 2.5e-4f;

}
