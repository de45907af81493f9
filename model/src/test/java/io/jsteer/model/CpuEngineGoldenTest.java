package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsteer.model.tokenizer.StreamingDecoder;
import io.jsteer.tensor.Parallel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reference outputs of ../shared/models/MANIFEST.md, from the .bin and from the .gguf. */
class CpuEngineGoldenTest {

    static final int[] FIRST_20 = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337};
    static final String TEXT_SHA256 = "beeb5cb46785efee81a8545300b31e396b595e5ce6f3b77db201545501981d14";

    static Supplier<LoadedModel> source(String format) {
        return format.equals("bin") ? TestModels::storiesBin : TestModels::storiesGguf;
    }

    @ParameterizedTest
    @ValueSource(strings = {"bin", "gguf"})
    void positionZeroLogits(String format) {
        try (LoadedModel m = source(format).get(); Parallel par = new Parallel(2); CpuEngine e = m.newCpuEngine(512, par)) {
            float[] logits = e.forward(1, 0, true);
            assertEquals(403, Sampler.argmax(logits, 512));
            assertEquals(17.0235, logits[403], 2e-4);
            assertEquals(15.4062, logits[385], 2e-4);
            assertEquals(13.1083, logits[410], 2e-4);
            assertEquals(12.7692, logits[317], 2e-4);
            assertEquals(12.4181, logits[407], 2e-4);
            assertArrayEquals(new float[] {-6.2229f, 8.4043f, -6.2237f, -6.2225f, -6.2220f},
                    java.util.Arrays.copyOf(logits, 5), 2e-4f);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"bin", "gguf"})
    void greedyIdsAndTheTwoHundredStepText(String format) throws Exception {
        try (LoadedModel m = source(format).get(); Parallel par = new Parallel(2); CpuEngine e = m.newCpuEngine(512, par)) {
            StreamingDecoder d = m.tokenizer().newDecoder();
            StringBuilder text = new StringBuilder(d.accept(1));
            GenerationResult r = new Generator(e).generate(new int[] {1}, 200, Sampler.greedy(), t -> t == 1,
                    (prev, next) -> text.append(d.accept(next)));
            text.append(d.flush());
            assertArrayEquals(FIRST_20, java.util.Arrays.copyOf(r.generated(), 20));
            byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
            assertEquals(464, bytes.length, text.toString());
            assertEquals(TEXT_SHA256, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
            assertEquals(text.toString(), m.tokenizer().decode(r.tokens()));
        }
    }
}
