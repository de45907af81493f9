package io.jsteer.weights.safetensors;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.tensor.DType;
import io.jsteer.weights.HeaderReader;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated safetensors header: u64 little-endian JSON length, the JSON, then the data buffer.
 * Every entry's dtype, shape and data_offsets are checked against the buffer (inside it, size
 * matching the shape, no overlaps) before anything is mapped.
 */
record SafetensorsHeader(Path file, Map<String, String> metadata, List<SafetensorsEntry> entries, long dataStart,
                         long fileSize) {

    /** safetensors' own limit for the JSON header. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    static final int MAX_RANK = 8;

    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        HeaderReader in = new HeaderReader(file, channel);
        long length = in.u64Size("header length");
        if (length > in.remaining() || length > MAX_HEADER_BYTES || length < 2) {
            throw new WeightFormatException(file, "header length", "must be 2.." + Math.min(MAX_HEADER_BYTES,
                    in.remaining()) + " (JSON inside a file of " + in.fileSize() + " bytes)", length);
        }
        byte[] json = in.bytes(length, "header");
        JsonNode root;
        try {
            ObjectMapper mapper = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
            String text;
            try {
                text = InputFiles.decodeUtf8("", json);
            } catch (IllegalArgumentException e) {
                throw new WeightFormatException(file, "header", e.getMessage());
            }
            root = mapper.readTree(text);
        } catch (JsonProcessingException e) {
            throw new WeightFormatException(file, "header", "invalid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new WeightFormatException(file, "header", "must be a JSON object");
        }
        long dataStart = 8 + length;
        long bufferSize = in.fileSize() - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<SafetensorsEntry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                entries.add(entry(file, e.getKey(), e.getValue(), bufferSize));
            }
        }
        checkOverlaps(file, entries);
        return new SafetensorsHeader(file, metadata, entries, dataStart, in.fileSize());
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (!node.isObject()) {
            throw new WeightFormatException(file, "__metadata__", "must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new WeightFormatException(file, "__metadata__." + e.getKey(), "must be a string", e.getValue());
            }
            out.put(e.getKey(), e.getValue().asText());
        }
    }

    private static SafetensorsEntry entry(Path file, String name, JsonNode node, long bufferSize) {
        String field = "tensor " + name;
        if (!node.isObject()) {
            throw new WeightFormatException(file, field, "must be an object with dtype, shape, data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new WeightFormatException(file, field + ": dtype", "missing or not a string", dtypeNode);
        }
        DType dtype = switch (dtypeNode.asText()) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw new WeightFormatException(file, field + ": dtype",
                    "unsupported safetensors dtype (jsteer reads F32, F16, BF16)", dtypeNode.asText());
        };
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray() || shapeNode.size() > MAX_RANK) {
            throw new WeightFormatException(file, field + ": shape", "must be an array of at most " + MAX_RANK
                    + " non-negative integers", shapeNode);
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegative(file, field + ": shape", shapeNode.get(i));
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException e) {
                throw new WeightFormatException(file, field + ": shape", "element count overflows", shapeNode);
            }
        }
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new WeightFormatException(file, field + ": data_offsets", "must be [begin, end]", offsets);
        }
        long begin = nonNegative(file, field + ": data_offsets", offsets.get(0));
        long end = nonNegative(file, field + ": data_offsets", offsets.get(1));
        if (begin > end || end > bufferSize) {
            throw new WeightFormatException(file, field + ": data_offsets", "must satisfy begin <= end <= "
                    + bufferSize + " (the data buffer size)", offsets);
        }
        long need = elements > Long.MAX_VALUE / 4 ? -1 : dtype.bytesFor(elements);
        if (end - begin != need) {
            throw new WeightFormatException(file, field + ": data_offsets", "cover " + (end - begin)
                    + " bytes but shape " + shapeNode + " of " + dtype + " needs " + need, offsets);
        }
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long nonNegative(Path file, String field, JsonNode n) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new WeightFormatException(file, field, "must be a non-negative integer", n);
        }
        return n.asLong();
    }

    private static void checkOverlaps(Path file, List<SafetensorsEntry> entries) {
        List<SafetensorsEntry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(SafetensorsEntry::begin).thenComparingLong(SafetensorsEntry::end));
        for (int i = 1; i < sorted.size(); i++) {
            SafetensorsEntry prev = sorted.get(i - 1), cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new WeightFormatException(file, "tensor " + cur.name() + ": data_offsets",
                        "overlaps tensor " + prev.name() + " which ends at " + prev.end(), cur.begin());
            }
        }
    }
}
