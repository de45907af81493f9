package io.jsteer.weights.safetensors;

import io.jsteer.tensor.DType;

/** One validated tensor entry of a safetensors header; offsets are relative to the data buffer. */
record SafetensorsEntry(String name, DType dtype, long[] shape, long begin, long end) {
}
