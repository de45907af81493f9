package io.jsteer.bench;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import java.io.IOException;

/** A random-weight model and a CPU engine over it (no tokenizer: benchmarks feed token ids). */
public final class ModelBenchState implements AutoCloseable {

    public final ModelWeights file;
    public final LlamaConfig config;
    public final LlamaWeights weights;
    public final CpuEngine engine;
    private final Parallel parallel;

    public ModelBenchState(String shape, String dtype, int threads, int context) throws IOException {
        this(BenchModels.ensure(shape, dtype), threads, context);
    }

    /** Any model file a user has (GGUF of every type, llama2.c .bin, safetensors directory). */
    public ModelBenchState(java.nio.file.Path model, int threads, int context) {
        file = ModelFiles.open(model);
        config = LlamaConfig.fromMetadata(file.metadata());
        weights = LlamaWeights.load(config, ModelLoader.lookup(file));
        parallel = new Parallel(threads);
        engine = new CpuEngine(config, weights, Math.min(context, config.contextLength()), parallel);
    }

    /** A deterministic token id for position {@code pos}. */
    public int tokenAt(int pos) {
        return (int) ((pos * 7919L + 13) % config.vocabSize());
    }

    @Override
    public void close() {
        engine.close();
        parallel.close();
        file.close();
    }
}
