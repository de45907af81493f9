package io.jsteer.weights.gguf;

import java.util.List;
import java.util.Map;

/**
 * A fully validated GGUF header: metadata (unified-view conventions), the stored type of each
 * metadata key (so a rewrite can keep it), tensor entries in file order, and where the data
 * section starts.
 */
public record GgufHeader(int version, Map<String, Object> metadata, Map<String, GgufValueType> metadataTypes,
                         List<GgufTensorInfo> tensors, long alignment, long dataStart, long fileSize) {

    public GgufHeader {
        metadata = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
        metadataTypes = Map.copyOf(metadataTypes);
        tensors = List.copyOf(tensors);
    }
}
