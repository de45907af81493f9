package io.jsteer.model.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.jsteer.model.LlamaCppText;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelFamily;
import io.jsteer.model.ModelLoader;
import io.jsteer.weights.ModelShape;
import io.jsteer.weights.ModelShapes;
import io.jsteer.weights.TensorData;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code jsteer synth}'s writer lays every family out as llama.cpp reads it: llama.cpp's greedy
 * text of a small synthetic model per architecture is the fixture (src/test/resources/family/README.md).
 */
class SyntheticFamiliesTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void synthesizedFamilyDecodesAsLlamaCpp(String arch, @TempDir Path dir) throws Exception {
        Path file = dir.resolve(arch + ".gguf");
        FamilyFixtureModel.writeSynthetic(arch, file);
        ModelShape shape = FamilyFixtureModel.syntheticShape(arch);
        try (LoadedModel m = ModelLoader.load(file, null)) {
            assertEquals(ModelFamily.fromArchitecture(arch), m.config().family());
            assertEquals(shape.headSize(), m.config().headSize());
            assertEquals(shape.qDim(), m.config().qDim());
            assertEquals(arch.equals("qwen2"), m.weights().qBias() != null);
            assertEquals(arch.equals("qwen3"), m.weights().kNorm() != null);
            if (arch.equals("qwen2")) {
                // biases are random, not the ones the norms get
                assertNotEquals(1f, m.weights().qBias()[0][0]);
            }
        }
        Path expected = Path.of(SyntheticFamiliesTest.class.getResource("/family/synth-" + arch + ".llama-simple.bin").toURI());
        LlamaCppText.assertSameText(file, expected, 32, 2.5e-4f);
    }

    /** The presets' parameter counts equal the published ones (Hugging Face's model cards / safetensors totals). */
    @Test
    void familyPresetsHaveThePublishedParameterCounts() {
        assertEquals(494_032_768L, ModelShapes.qwen25_05b().parameterCount());
        assertEquals(596_049_920L, ModelShapes.qwen3_06b().parameterCount());
        assertEquals(7_241_732_096L, ModelShapes.mistral7b().parameterCount());
        assertEquals(1_100_048_384L, ModelShapes.tinyLlama().parameterCount());
        assertEquals(134_515_008L, ModelShapes.smolLm2().parameterCount());
        assertEquals(List.of("qwen2", "qwen3"), List.of(ModelShapes.qwen25_05b().architecture(), ModelShapes.qwen3_06b().architecture()));
        ModelShape q = ModelShapes.llama2_110m().withArchitecture("qwen2");
        // three bias vectors of 768 per block
        assertEquals(ModelShapes.llama2_110m().parameterCount() + 12L * 3 * 768, q.parameterCount());
        assertEquals(TensorData.elementCount(new long[] {2048, 1024}),
                ModelShapes.qwen3_06b().tensors().stream().filter(t -> t.name().equals("blk.0.attn_q.weight")).findFirst()
                        .orElseThrow().elementCount());
    }
}
