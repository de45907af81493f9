package io.jsteer.weights.cvec;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A llama.cpp control vector: one direction of {@code width} floats per addressed block.
 *
 * <p>Keys of {@code directions} are llama.cpp's layer indices N (tensor {@code direction.N}),
 * which llama.cpp adds to the output of 0-based block N after its feed-forward residual add:
 * jsteer's {@code resid_post:N}. N starts at 1: llama.cpp never applies a direction to block 0
 * (its loader rejects {@code direction.0}).
 *
 * @param modelHint  {@code controlvector.model_hint}: the architecture name of the model the vector
 *                   was made for (llama.cpp's generator writes the model's {@code general.architecture},
 *                   e.g. "llama"); informational only, llama.cpp does not check it
 * @param layerCount {@code controlvector.layer_count}: llama.cpp's generator writes the number of
 *                   directions it made (n_layer - 1); at least the highest N
 * @param directions N → direction [width]; copied, read-only
 */
public record ControlVector(String modelHint, int layerCount, SortedMap<Integer, float[]> directions) {

    public ControlVector {
        if (modelHint == null) {
            throw new IllegalArgumentException("control vector: model hint must not be null (use \"\" when unknown)");
        }
        if (directions.isEmpty()) {
            throw new IllegalArgumentException("control vector: no directions");
        }
        TreeMap<Integer, float[]> copy = new TreeMap<>();
        int width = -1;
        for (Map.Entry<Integer, float[]> e : directions.entrySet()) {
            int layer = e.getKey();
            if (layer == 0) {
                throw new IllegalArgumentException("control vector: llama.cpp cannot address block 0 (resid_post:0);"
                        + " its loader rejects direction.0 — drop that layer or steer at resid_post:1 or later");
            }
            if (layer < 0) {
                throw new IllegalArgumentException("control vector: layer index " + layer + " is negative");
            }
            float[] v = e.getValue();
            if (width < 0) {
                width = v.length;
            } else if (v.length != width) {
                throw new IllegalArgumentException("control vector: direction." + layer + " has " + v.length
                        + " values, direction." + copy.firstKey() + " has " + width + " (all must have n_embd values)");
            }
            if (v.length == 0) {
                throw new IllegalArgumentException("control vector: direction." + layer + " is empty");
            }
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalArgumentException("control vector: direction." + layer + "[" + i + "] is " + v[i]);
                }
            }
            copy.put(layer, v.clone());
        }
        if (layerCount < copy.lastKey()) {
            throw new IllegalArgumentException("control vector: layer_count " + layerCount
                    + " is below the highest direction index " + copy.lastKey());
        }
        directions = Collections.unmodifiableSortedMap(copy);
    }

    /** A vector whose layer_count is its highest index, as llama.cpp's generator writes for a full set. */
    public static ControlVector of(String modelHint, SortedMap<Integer, float[]> directions) {
        if (directions.isEmpty()) {
            throw new IllegalArgumentException("control vector: no directions");
        }
        return new ControlVector(modelHint, directions.lastKey(), directions);
    }

    /** n_embd of the directions. */
    public int width() {
        return directions.get(directions.firstKey()).length;
    }

    /** A copy of the direction for llama.cpp layer {@code n} (= resid_post:n), or null. */
    public float[] direction(int n) {
        float[] v = directions.get(n);
        return v == null ? null : v.clone();
    }
}
