package io.jsteer.steering.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * One record of a dataset file as read, before it becomes a typed record: its fields and where
 * it came from, so that a bad value is reported with file, line, record number and field.
 *
 * @param index 0-based record number in the file
 * @param line  1-based line where the record starts
 */
public record SourceRecord(Path file, int index, long line, JsonNode fields) {

    /** A required string field; numbers and booleans are taken as their text. */
    public String text(String field) {
        JsonNode v = fields.get(field);
        if (v == null || v.isNull()) {
            throw error(field, "missing (the record has " + fieldNames() + ")");
        }
        if (!v.isValueNode()) {
            throw error(field, "must be a string, found " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return v.asText();
    }

    /** A required string field that must not be blank. */
    public String nonBlank(String field) {
        String s = text(field);
        if (s.isBlank()) {
            throw error(field, "is empty");
        }
        return s;
    }

    /** An optional string field, or {@code fallback} when absent or null. */
    public String text(String field, String fallback) {
        JsonNode v = fields.get(field);
        return v == null || v.isNull() ? fallback : text(field);
    }

    public DatasetException error(String field, String problem) {
        return DatasetException.at(file, line, index, field, problem);
    }

    private String fieldNames() {
        StringBuilder sb = new StringBuilder();
        fields.fieldNames().forEachRemaining(n -> sb.append(sb.isEmpty() ? "" : ", ").append(n));
        return sb.isEmpty() ? "no fields" : "fields " + sb;
    }
}
