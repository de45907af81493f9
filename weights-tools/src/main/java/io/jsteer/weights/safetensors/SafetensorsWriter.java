package io.jsteer.weights.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes float32 safetensors files (steering vectors, adapters, small test models) atomically,
 * with a {@code __metadata__} map of strings.
 */
public final class SafetensorsWriter {

    private SafetensorsWriter() {}

    public static void write(Path out, Map<String, String> metadata, List<SafetensorsTensor> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            header.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (SafetensorsTensor t : tensors) {
            if (t.name().equals("__metadata__") || !names.add(t.name())) {
                throw new IllegalArgumentException("duplicate or reserved tensor name " + t.name());
            }
            long bytes = 4L * t.values().length;
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "F32");
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(t.name(), entry);
            offset += bytes;
        }
        byte[] json = toJson(header);
        // Pad with spaces so the data buffer starts 8-byte aligned, as the reference writer does.
        int padded = (json.length + 8 + 7) / 8 * 8 - 8;
        AtomicFileWriter.write(out, w -> {
            w.i64(padded);
            w.bytes(json);
            for (int i = json.length; i < padded; i++) {
                w.u8(' ');
            }
            for (SafetensorsTensor t : tensors) {
                for (float v : t.values()) {
                    w.f32(v);
                }
            }
        });
    }

    private static byte[] toJson(Map<String, Object> header) {
        try {
            return new ObjectMapper().writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
