package io.jsteer.steering.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.quant.GgufConverter;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * stories260K (rows of 64: no K-quant fits) in every legacy type, quantized by llama.cpp
 * (src/test/resources/quant: Q4_1, Q5_0, Q5_1, IQ4_NL and llama.cpp's Q4_K_M mix, which falls
 * back to Q5_0/Q8_0 for such rows) or by jsteer (Q8_0, Q4_0): each keeps the F32 model's
 * perplexity on held-out stories within a bound that grows as bits shrink.
 */
class QuantizedPerplexityTest {

    static final List<String> STORIES = List.of(
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.",
            "Tom had a red ball. He liked to throw it high in the sky. One day, the ball went over the fence.",
            "The cat was very hungry. It looked for food in the kitchen, but the bowl was empty. Mom came and gave it some milk.");

    static double f32;

    static double perplexity(Path model) {
        try (LoadedModel m = ModelLoader.load(model, null); Parallel par = new Parallel(2); CpuEngine e = m.newCpuEngine(128, par)) {
            List<int[]> texts = STORIES.stream().map(s -> m.tokenizer().encode(s, true)).toList();
            return new Perplexity(e).measure(texts).perplexity();
        }
    }

    static Path fixture(String name) {
        try {
            return Path.of(QuantizedPerplexityTest.class.getResource("/quant/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test fixture quant/" + name, e);
        }
    }

    static Set<String> types(Path model) {
        try (ModelWeights w = ModelFiles.open(model)) {
            Set<String> t = new TreeSet<>();
            for (TensorData d : w.tensors().values()) {
                if (d.rank() == 2) t.add(d.dtype().label());
            }
            return t;
        }
    }

    @BeforeAll
    static void reference() {
        f32 = perplexity(EvalFixtures.shared("models/stories260K.gguf"));
        assertTrue(f32 > 1 && f32 < 20, "stories260K's own perplexity on its kind of text: " + f32);
    }

    @Test
    void llamaCppQuantizedFilesStayCloseToF32() {
        // relative perplexity increase allowed per file: about 1.6 times what each measured on
        // 2026-12-03 (Q5_0 +2.9 %, Q5_1 +2.5 %, Q4_1 +7.4 %, IQ4_NL +6.7 %, Q4_K_M +3.8 %)
        Map<String, Double> bound = Map.of("Q5_0", 0.05, "Q5_1", 0.05, "Q4_1", 0.12, "IQ4_NL", 0.11, "Q4_K_M", 0.065);
        // llama.cpp keeps the classifier in Q8_0 and some small matrices in F16
        Map<String, Set<String>> expectTypes = Map.of("Q5_0", Set.of("f16", "q5_0", "q8_0"), "Q5_1", Set.of("f16", "q5_1", "q8_0"),
                "Q4_1", Set.of("f16", "q4_1", "q8_0"), "IQ4_NL", Set.of("f16", "iq4_nl", "q8_0"), "Q4_K_M", Set.of("f16", "q5_0", "q8_0"));
        for (var e : bound.entrySet()) {
            Path file = fixture("s260k-" + e.getKey() + ".gguf");
            System.out.println("TYPES " + e.getKey() + " " + types(file));
            double p = perplexity(file);
            System.out.printf("stories260K %-7s perplexity %.4f (F32 %.4f, %+.2f %%)%n", e.getKey(), p, f32, 100 * (p / f32 - 1));
            assertTrue(p / f32 - 1 < e.getValue(), e.getKey() + ": perplexity " + p + " vs F32 " + f32);
            assertTrue(Math.abs(p / f32 - 1) > 1e-6, e.getKey() + " must differ from F32 at all (it is quantized)");
        }
    }

    @Test
    void jsteerQuantizedFilesStayCloseToF32(@TempDir Path dir) throws IOException {
        // measured: Q8_0 -0.2 %, Q4_0 +4.0 %
        Map<DType, Double> bound = Map.of(DType.Q8_0, 0.01, DType.Q4_0, 0.07);
        for (var e : bound.entrySet()) {
            Path out = dir.resolve("s260k-" + e.getKey().label() + ".gguf");
            try (ModelWeights in = ModelFiles.open(EvalFixtures.shared("models/stories260K.gguf"))) {
                GgufConverter.convert(in, e.getKey(), Map.of(), out);
            }
            double p = perplexity(out);
            System.out.printf("stories260K %-7s perplexity %.4f (F32 %.4f, %+.2f %%)%n", e.getKey(), p, f32, 100 * (p / f32 - 1));
            assertTrue(p / f32 - 1 < e.getValue(), e.getKey() + ": perplexity " + p + " vs F32 " + f32);
        }
    }
}
