package io.jsteer.bench.peers;

import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelShape;
import io.jsteer.weights.SyntheticModels;
import java.io.IOException;
import java.nio.file.Path;

/** Small random llamas for the peer tests: GQA, several heads, rows that are whole vector lanes for Jlama's kernels. */
final class TinyModels {

    private TinyModels() {}

    /** dim 128, 4 heads of 32 over 2 KV heads, 2 blocks, vocab 256. */
    static ModelShape shape(boolean tied, ModelShape.Llama3RopeScaling scaling) {
        return new ModelShape("tiny", 128, 256, 2, 4, 2, 256, 256, 10000f, 1e-5f, scaling, tied);
    }

    /** llama3 scaling whose smoothing band covers some of the 16 frequencies of a 32-wide head. */
    static ModelShape.Llama3RopeScaling llama3() {
        return new ModelShape.Llama3RopeScaling(8f, 1f, 4f, 64);
    }

    static Path gguf(Path dir, ModelShape shape, long seed) throws IOException {
        Path f = dir.resolve(shape.name() + "-" + seed + ".gguf");
        SyntheticModels.write(shape, DType.F32, seed, f);
        return f;
    }
}
