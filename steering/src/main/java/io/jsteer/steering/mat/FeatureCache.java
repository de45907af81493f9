package io.jsteer.steering.mat;

import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cached training features in one safetensors file: {@code <attribute>.positives} [P,d] and
 * {@code <attribute>.negatives} [N,d] per attribute (plus {@code <attribute>.targets} [M,d] when
 * the MMD targets are not the positives), with a {@code key} in the metadata that
 * names everything the features depend on (model fingerprint, site, data hashes, split seed,
 * item caps). A cache whose key differs is ignored, so reruns with new settings recompute.
 */
public final class FeatureCache {

    private FeatureCache() {}

    public static void save(Path file, String key, List<AttributeFeatures> features) throws IOException {
        List<SafetensorsTensor> tensors = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (AttributeFeatures a : features) {
            names.add(a.name());
            tensors.add(new SafetensorsTensor(a.name() + ".positives", new long[] {a.positives().length, a.dim()},
                    MatTrainer.flatten(a.positives())));
            tensors.add(new SafetensorsTensor(a.name() + ".negatives", new long[] {a.negatives().length, a.dim()},
                    MatTrainer.flatten(a.negatives())));
            if (!a.targetsArePositives()) {
                tensors.add(new SafetensorsTensor(a.name() + ".targets", new long[] {a.targets().length, a.dim()},
                        MatTrainer.flatten(a.targets())));
            }
        }
        SafetensorsWriter.write(file, Map.of("key", key, "attributes", String.join(",", names)), tensors);
    }

    /** The cached features when {@code file} exists and was written with the same key. */
    public static Optional<List<AttributeFeatures>> load(Path file, String key) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (ModelWeights w = SafetensorsReader.open(file)) {
            if (!key.equals(String.valueOf(w.metadata().get("key")))) {
                return Optional.empty();
            }
            List<AttributeFeatures> out = new ArrayList<>();
            for (String name : String.valueOf(w.metadata().get("attributes")).split(",")) {
                float[][] positives = rows(w, file, name + ".positives");
                out.add(new AttributeFeatures(name, positives, rows(w, file, name + ".negatives"),
                        w.hasTensor(name + ".targets") ? rows(w, file, name + ".targets") : positives));
            }
            return Optional.of(out);
        }
    }

    private static float[][] rows(ModelWeights w, Path file, String name) throws IOException {
        if (!w.hasTensor(name)) {
            throw new IOException(file + ": tensor " + name + " is missing");
        }
        TensorData t = w.tensor(name);
        return MatTrainer.unflatten(t.data().toFloatArray(), (int) t.cols());
    }
}
