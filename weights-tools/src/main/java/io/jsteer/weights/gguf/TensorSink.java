package io.jsteer.weights.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** Where a tensor's content goes while a file is being written: one call per row or chunk. */
public interface TensorSink {

    /** Encodes {@code n} float32 values into the tensor's dtype (whole blocks for quantized types). */
    void writeFloats(float[] values, int off, int n) throws IOException;

    /** Bytes already in the tensor's dtype layout (a verbatim copy). */
    void writeBytes(MemorySegment bytes) throws IOException;

    /** Bytes already in the tensor's dtype layout. */
    void writeBytes(byte[] bytes) throws IOException;
}
