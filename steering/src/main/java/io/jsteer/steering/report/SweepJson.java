package io.jsteer.steering.report;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.steering.sweep.SweepResult;
import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A sweep result as JSON (the records' fields, indented), written atomically and read back. */
public final class SweepJson {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SweepJson() {}

    public static String toJson(SweepResult result) {
        try {
            return MAPPER.writeValueAsString(result);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise the sweep result", e);
        }
    }

    public static SweepResult fromJson(String json) {
        try {
            return MAPPER.readValue(json, SweepResult.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a sweep result: " + e.getMessage(), e);
        }
    }

    public static void write(SweepResult result, Path file) throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(result);
        AtomicFileWriter.write(file, out -> out.bytes(bytes));
    }

    public static SweepResult read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("sweep result " + file + " does not exist");
        }
        try {
            return MAPPER.readValue(InputFiles.readText("", file, InputFiles.TEXT_LIMIT), SweepResult.class);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " is not a sweep result: " + e.getMessage(), e);
        }
    }
}
