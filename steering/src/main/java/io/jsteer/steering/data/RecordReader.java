package io.jsteer.steering.data;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the records of a JSON, JSON Lines, CSV or text file (Jackson for the first three), each
 * with its line number, and the file's hash. Files are small enough to read whole (the largest
 * shared one is 2.3 MB); the bytes are hashed and decoded as strict UTF-8.
 */
public final class RecordReader {

    /** The field under which a plain string record (text line, string array element) is found. */
    public static final String TEXT = "text";

    private static final ObjectMapper JSON = new ObjectMapper();

    private RecordReader() {}

    /** The records of a file and its source (path + SHA-256). */
    public record Records(DatasetSource source, List<SourceRecord> records) {}

    public static Records read(Path file) {
        return read(file, DatasetFormat.of(file));
    }

    public static Records read(Path file, DatasetFormat format) {
        byte[] bytes;
        try {
            bytes = InputFiles.readBytes("dataset", file, InputFiles.DATASET_LIMIT);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(e.getMessage(), e);
        }
        String text = decode(file, bytes);
        List<SourceRecord> records = switch (format) {
            case JSON -> json(file, text);
            case JSONL -> jsonLines(file, text);
            case CSV -> csv(file, text);
            case TEXT -> lines(file, text);
        };
        return new Records(DatasetSource.of(file, bytes), records);
    }

    /** Strict UTF-8; a leading byte-order mark is dropped (TruthfulQA.csv has one). */
    static String decode(Path file, byte[] bytes) {
        try {
            return InputFiles.decodeUtf8(file + ": ", bytes);
        } catch (IllegalArgumentException e) {
            throw new DatasetException(e.getMessage(), e);
        }
    }

    private static SourceRecord record(Path file, int index, long line, JsonNode node) {
        if (node.isTextual()) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put(TEXT, node.asText());
            return new SourceRecord(file, index, line, o);
        }
        if (!node.isObject()) {
            throw DatasetException.at(file, line, index, null, "a record must be an object or a string, found "
                    + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return new SourceRecord(file, index, line, node);
    }

    private static List<SourceRecord> json(Path file, String text) {
        List<SourceRecord> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw DatasetException.at(file, p.currentTokenLocation().getLineNr(), -1, null,
                        "a JSON dataset must be an array of records");
            }
            while (p.nextToken() != JsonToken.END_ARRAY) {
                if (p.currentToken() == null) {
                    throw DatasetException.at(file, p.currentLocation().getLineNr(), -1, null, "the array is not closed");
                }
                long line = p.currentTokenLocation().getLineNr();
                JsonNode node = JSON.readTree(p);
                out.add(record(file, out.size(), line, node));
            }
            if (p.nextToken() != null) {
                throw DatasetException.at(file, p.currentTokenLocation().getLineNr(), -1, null,
                        "content after the closing ]");
            }
        } catch (JsonProcessingException e) {
            throw DatasetException.at(file, e.getLocation() == null ? -1 : e.getLocation().getLineNr(), out.size(), null,
                    "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static List<SourceRecord> jsonLines(Path file, String text) {
        List<SourceRecord> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                out.add(record(file, out.size(), i + 1, JSON.readTree(line)));
            } catch (JsonProcessingException e) {
                throw DatasetException.at(file, i + 1, out.size(), null, "invalid JSON: " + e.getOriginalMessage());
            }
        }
        return out;
    }

    private static List<SourceRecord> csv(Path file, String text) {
        CsvMapper mapper = new CsvMapper();
        // Strict columns: a row with more values than the header is an error, not silently kept.
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        List<SourceRecord> out = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = mapper.readerForMapOf(String.class)
                .with(schema).with(CsvParser.Feature.FAIL_ON_MISSING_HEADER_COLUMNS)
                .readValues(text)) {
            while (true) {
                // the parser stands at the start of the next row before it is read
                long line = it.getParser().currentLocation().getLineNr();
                if (!it.hasNextValue()) {
                    break;
                }
                Map<String, String> row = it.nextValue();
                out.add(new SourceRecord(file, out.size(), line, JSON.valueToTree(row)));
            }
        } catch (JsonProcessingException e) {
            throw DatasetException.at(file, e.getLocation() == null ? -1 : e.getLocation().getLineNr(), out.size(), null,
                    "invalid CSV: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            // MappingIterator wraps parse errors in RuntimeJsonMappingException
            Throwable cause = e.getCause() instanceof JsonProcessingException j ? j : e;
            throw DatasetException.at(file, -1, out.size(), null, "invalid CSV: " + cause.getMessage());
        }
        return out;
    }

    private static List<SourceRecord> lines(Path file, String text) {
        List<SourceRecord> out = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                out.add(record(file, out.size(), i + 1, JsonNodeFactory.instance.textNode(lines[i])));
            }
        }
        return out;
    }
}
