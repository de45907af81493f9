package io.jsteer.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelShape;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.SyntheticModels;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A deeper random-weight model (12 blocks, untied classifier, grouped-query attention 8:2) in
 * F16 and Q8_0: the device matrix-vector kernels in a whole forward pass, and a pass long enough
 * to be split over several task graphs (TornadoVM's per-graph task buffer is small).
 */
class TornadoEngineSyntheticTest {

    private static final ModelShape DEEP = new ModelShape("deep-test", 64, 192, 12, 8, 2, 256, 128, 10000f, 1e-5f, null, false);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"f16", "q8_0"})
    void logitsMatchTheCpuEngineAcrossSeveralGraphs(String dtype) throws IOException {
        Path file = dir.resolve("deep-" + dtype + ".gguf");
        SyntheticModels.write(DEEP, DType.parse(dtype), 11, file);
        try (ModelWeights mw = ModelFiles.open(file); Parallel par = new Parallel(2)) {
            LlamaConfig c = LlamaConfig.fromMetadata(mw.metadata());
            LlamaWeights w = LlamaWeights.load(c, ModelLoader.lookup(mw));
            int[] tokens = {1, 17, 200, 42, 99, 3, 250, 8};
            float[][] expected = new float[tokens.length][];
            // the device multiplies Q8_0 weights by float activations: its reference is the F32 copy
            try (CpuEngine e = new CpuEngine(c, dtype.equals("f16") ? w : F32Reference.of(w), 64, par)) {
                for (int p = 0; p < tokens.length; p++) {
                    expected[p] = e.forward(tokens[p], p, false).clone();
                }
            }
            try (TornadoEngine g = TornadoEngine.create(c, w, 64)) {
                // graphs of 4 blocks: 0-3, 4-7, 8-11 + head
                assertEquals(TornadoEngine.MAX_BLOCKS_PER_GRAPH, g.blocksPerGraph());
                assertEquals(3, g.graphsPerToken());
                for (int p = 0; p < tokens.length; p++) {
                    float[] actual = g.forward(tokens[p], p, false);
                    assertArrayEquals(expected[p], actual, 1e-4f, dtype + " logits at position " + p);
                }
            }
        }
    }
}
