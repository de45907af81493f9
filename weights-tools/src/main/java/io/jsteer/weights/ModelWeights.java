package io.jsteer.weights;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The unified, read-only view of a model file: metadata under GGUF key names and tensors under
 * GGUF llama tensor names, whatever the format on disk. Tensor data are views into memory-mapped
 * files (nothing is copied on load); {@link #close()} unmaps them, after which every
 * {@link TensorData#data()} of this model is invalid.
 *
 * <p>Metadata value conventions: every integer type is a {@link Long}, f32 a {@link Float}, f64 a
 * {@link Double}, bool a {@link Boolean}, string a {@link String}, arrays unmodifiable
 * {@code List<Object>} of the same.
 */
public final class ModelWeights implements AutoCloseable {

    private final Path path;
    private final ModelFormat format;
    private final Map<String, Object> metadata;
    private final Map<String, TensorData> tensors;
    private final Arena arena;

    /**
     * @param arena the arena the tensors' segments were mapped in; closed by {@link #close()}
     */
    public ModelWeights(Path path, ModelFormat format, Map<String, Object> metadata,
                        Map<String, TensorData> tensors, Arena arena) {
        this.path = path;
        this.format = format;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.arena = arena;
    }

    public Path path() { return path; }

    public ModelFormat format() { return format; }

    public Map<String, Object> metadata() { return metadata; }

    /** All tensors in file order. */
    public Map<String, TensorData> tensors() { return tensors; }

    public boolean hasTensor(String name) { return tensors.containsKey(name); }

    /** @throws WeightFormatException naming the file and the tensor when it is absent */
    public TensorData tensor(String name) {
        TensorData t = tensors.get(name);
        if (t == null) {
            throw new WeightFormatException(path, "tensor " + name, "missing from the model");
        }
        return t;
    }

    /** An integer metadata value; throws naming file and key when absent or not an integer. */
    public long metadataLong(String key) {
        return typed(key, Long.class);
    }

    /** A float metadata value (f32 or f64 or integer, widened); throws when absent. */
    public double metadataDouble(String key) {
        Object v = metadata.get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new WeightFormatException(path, key, v == null ? "missing" : "not a number", v);
    }

    public String metadataString(String key) {
        return typed(key, String.class);
    }

    public boolean metadataBoolean(String key) {
        return typed(key, Boolean.class);
    }

    private <T> T typed(String key, Class<T> type) {
        Object v = metadata.get(key);
        if (v == null) {
            throw new WeightFormatException(path, key, "missing metadata key");
        }
        if (!type.isInstance(v)) {
            throw new WeightFormatException(path, key, "expected " + type.getSimpleName() + " but is "
                    + v.getClass().getSimpleName(), v);
        }
        return type.cast(v);
    }

    @Override
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return format + " " + path + " (" + tensors.size() + " tensors, " + metadata.size() + " metadata keys)";
    }
}
