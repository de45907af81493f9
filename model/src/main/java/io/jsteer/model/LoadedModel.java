package io.jsteer.model;

import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelWeights;

/**
 * A model ready to run: the mapped file, its config and weight views, and its tokenizer.
 * Closing it unmaps the file, so engines made from it must not be used afterwards.
 */
public record LoadedModel(ModelWeights file, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer)
        implements AutoCloseable {

    /** A name for logs and provenance, e.g. {@code stories260K.bin}. */
    public String name() {
        return file.path().getFileName().toString();
    }

    /** A CPU engine with a KV cache of {@code contextLength} positions (capped at the model's). */
    public CpuEngine newCpuEngine(int contextLength, Parallel parallel) {
        CpuEngine e = new CpuEngine(config, weights, Math.min(contextLength, config.contextLength()), parallel);
        if (tokenizer.vocabSize() < config.vocabSize()) { // padding rows of a Hugging Face embedding: never predicted
            e.limitVocabulary(tokenizer.vocabSize());
        }
        return e;
    }

    @Override
    public void close() {
        file.close();
    }
}
