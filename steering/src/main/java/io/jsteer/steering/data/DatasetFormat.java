package io.jsteer.steering.data;

import java.nio.file.Path;
import java.util.Locale;

/** How a dataset file is laid out; chosen from the file name's extension. */
public enum DatasetFormat {
    /** A JSON array of objects (or of strings, each read as {@code {"text": …}}). */
    JSON,
    /** JSON Lines: one object (or string) per line; blank lines are skipped. */
    JSONL,
    /** CSV with a header row (RFC 4180 quoting; a UTF-8 byte-order mark is dropped). */
    CSV,
    /** Plain text, one record per line, read as {@code {"text": line}}; blank lines are skipped. */
    TEXT;

    public static DatasetFormat of(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return JSONL;
        }
        if (name.endsWith(".json")) {
            return JSON;
        }
        if (name.endsWith(".csv")) {
            return CSV;
        }
        if (name.endsWith(".txt")) {
            return TEXT;
        }
        throw new DatasetException(file + ": unknown dataset format (expected .json, .jsonl, .csv or .txt)");
    }
}
