package io.jsteer.weights;

/** The on-disk formats jsteer reads weights from. */
public enum ModelFormat {
    /** ggml's GGUF, versions 2 and 3. */
    GGUF,
    /** llama2.c's legacy (version 0) float32 checkpoint. */
    LLAMA2C,
    /** Hugging Face safetensors, single file or shards, with config.json for models. */
    SAFETENSORS
}
