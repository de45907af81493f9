package io.jsteer.weights.gguf;

import java.io.IOException;

/**
 * Produces one tensor's values when the writer reaches it, so that a model is streamed tensor by
 * tensor and never held in memory whole.
 */
@FunctionalInterface
public interface TensorContent {
    void writeTo(TensorSink sink) throws IOException;
}
