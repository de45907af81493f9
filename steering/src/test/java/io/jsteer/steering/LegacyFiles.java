package io.jsteer.steering;

import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a .safetensors written by this jsteer into one as earlier versions wrote it: the same
 * tensors without the {@code jsteer.metadata} header entry, so the .json beside it is what readers
 * use (the compatibility path).
 */
public final class LegacyFiles {

    private LegacyFiles() {}

    public static void stripEmbeddedMetadata(Path safetensors) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        List<SafetensorsTensor> tensors = new ArrayList<>();
        try (ModelWeights w = SafetensorsReader.open(safetensors)) {
            w.metadata().forEach((k, v) -> {
                if (!k.equals("jsteer.metadata")) {
                    meta.put(k, v.toString());
                }
            });
            for (Map.Entry<String, TensorData> e : w.tensors().entrySet()) {
                tensors.add(new SafetensorsTensor(e.getKey(), e.getValue().shape(), e.getValue().data().toFloatArray()));
            }
        }
        SafetensorsWriter.write(safetensors, meta, tensors);
    }
}
