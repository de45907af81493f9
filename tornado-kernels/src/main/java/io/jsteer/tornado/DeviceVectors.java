package io.jsteer.tornado;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A model's small vectors (norm weights, biases) packed one after the other into one device
 * array, sent once: one buffer instead of a few per block, so a graph of several blocks declares
 * one transfer for all of them. Looked up by the identity of the host array the model description
 * hands to a step ({@code LlamaWeights.attnNorm()[l]} ...).
 */
final class DeviceVectors {

    /** {@code array[offset ..]}: where one vector lies on the device. */
    record Vector(FloatArray array, int offset) {}

    private final FloatArray packed;
    private final Map<float[], Integer> offsets = new IdentityHashMap<>();

    /** Packs {@code vectors} (nulls skipped; one array listed twice is stored once). */
    DeviceVectors(List<float[]> vectors) {
        int n = 0;
        for (float[] v : vectors) {
            if (v != null && !offsets.containsKey(v)) {
                offsets.put(v, n);
                n += v.length;
            }
        }
        packed = new FloatArray(Math.max(1, n));
        offsets.forEach((v, at) -> {
            for (int i = 0; i < v.length; i++) {
                packed.set(at + i, v[i]);
            }
        });
    }

    /** Where {@code v} lies; a vector that was not packed is a bug in the engine, not bad input. */
    Vector of(float[] v) {
        Integer at = offsets.get(v);
        if (at == null) {
            throw new IllegalStateException("a model vector of " + v.length + " values was not sent to the device");
        }
        return new Vector(packed, at);
    }

    long bytes() {
        return 4L * packed.getSize();
    }
}
