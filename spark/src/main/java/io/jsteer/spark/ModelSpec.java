package io.jsteer.spark;

import java.io.Serializable;

/**
 * Which model every executor opens, and how: a path that every node can read (shared storage;
 * the weights are memory-mapped there, not shipped with the job), the tokenizer when the model
 * file carries none, the KV-cache size of each task's engine and the threads of each engine.
 *
 * @param path          model file or directory, as every node sees it
 * @param tokenizer     tokenizer file, or null
 * @param contextLength KV-cache positions of each task's engine
 * @param threads       matrix threads per engine (per task); executors run several tasks at once,
 *                      so 1 suits executors with as many task slots as cores
 */
public record ModelSpec(String path, String tokenizer, int contextLength, int threads) implements Serializable {

    public ModelSpec {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("model path is empty");
        }
        if (contextLength < 1) {
            throw new IllegalArgumentException("context length must be at least 1, got " + contextLength);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads per task must be at least 1, got " + threads);
        }
    }
}
