package io.jsteer.steering.vectors;

import io.jsteer.steering.data.DatasetSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a vector set came from, stored in its JSON file.
 *
 * @param model         the model's name, e.g. "stories260K.bin"
 * @param modelSha256   SHA-256 of the model file ("" when not known, e.g. an imported control vector)
 * @param method        e.g. "mean_difference", "caa", "pca", "probe", "ablation", "controlvector_import"
 * @param positions     the token positions read, e.g. "LAST", "MEAN", "AT answer letter"
 * @param datasets      the dataset files and their hashes
 * @param createdAt     when the set was made
 * @param jsteerVersion the version of jsteer that made it
 * @param extra         method details (scaling, probe accuracies, PCA explained variance …), JSON-serialisable
 */
public record Provenance(String model, String modelSha256, String method, String positions,
                         List<DatasetSource> datasets, Instant createdAt, String jsteerVersion,
                         Map<String, Object> extra) {

    public Provenance {
        datasets = List.copyOf(datasets);
        extra = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        if (model == null || modelSha256 == null || method == null || positions == null || createdAt == null
                || jsteerVersion == null) {
            throw new IllegalArgumentException("provenance fields must not be null (use \"\" when unknown)");
        }
    }

    /** Provenance stamped now with this build's version. */
    public static Provenance of(String model, String modelSha256, String method, String positions,
                                List<DatasetSource> datasets) {
        return new Provenance(model, modelSha256, method, positions, datasets, Instant.now(), JsteerVersion.get(), Map.of());
    }

    /** The same provenance with one more {@code extra} entry. */
    public Provenance with(String key, Object value) {
        Map<String, Object> e = new LinkedHashMap<>(extra);
        e.put(key, value);
        return new Provenance(model, modelSha256, method, positions, datasets, createdAt, jsteerVersion, e);
    }

    /** SHA-256 of a (model) file, streamed. */
    public static String sha256(Path file) {
        try {
            return io.jsteer.weights.download.ModelDownloader.sha256(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash " + file, e);
        }
    }
}
