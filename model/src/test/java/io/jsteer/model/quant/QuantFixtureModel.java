package io.jsteer.model.quant;

import io.jsteer.model.TestModels;
import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelShape;
import io.jsteer.weights.SyntheticModels;
import io.jsteer.weights.gguf.GgufReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the random-weight F32 model that the quantization fixtures were made from (see
 * src/test/resources/quant/README.md): rows of 256 so that every K-quant fits, an untied
 * classifier (llama.cpp stores it as Q6_K in its mixes), stories260K's 512-token vocabulary so
 * that llama.cpp can load and run it.
 * Run: {@code java -cp ... io.jsteer.model.quant.QuantFixtureModel OUT.gguf}.
 */
public final class QuantFixtureModel {

    /** dim 256, hidden 512, 1 block, 4 heads of 64 (2 KV heads), 512 tokens, context 256. */
    public static final ModelShape SHAPE = new ModelShape("q256", 256, 512, 1, 4, 2, 512, 256, 10000f, 1e-5f, null, false);
    public static final long SEED = 20261203L;

    private QuantFixtureModel() {}

    public static void write(Path out) throws IOException {
        Map<String, Object> vocab = new LinkedHashMap<>();
        GgufReader.readHeader(TestModels.shared("models/stories260K.gguf")).metadata().forEach((k, v) -> {
            if (k.startsWith("tokenizer.")) {
                vocab.put(k, v);
            }
        });
        SyntheticModels.write(SHAPE, DType.F32, SEED, vocab, out);
    }

    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]));
    }
}
