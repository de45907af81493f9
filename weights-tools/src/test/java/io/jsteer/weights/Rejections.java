package io.jsteer.weights;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Assertions for files that readers must reject cleanly. */
public final class Rejections {

    private Rejections() {}

    /**
     * Opening {@code file} must throw a {@link WeightFormatException} whose message starts with the
     * file and contains {@code field}; any other throwable (IndexOutOfBounds, OutOfMemoryError...)
     * propagates and fails the test.
     */
    public static WeightFormatException assertRejected(Path file, String field) {
        try (ModelWeights w = ModelFiles.open(file)) {
            fail("accepted a bad file " + file + ": " + w);
            return null;
        } catch (WeightFormatException e) {
            // the file itself, or a file inside it when it is a model directory (config.json, a shard)
            assertTrue(e.getMessage().startsWith(file.toString()), "message must start with the file: " + e.getMessage());
            assertTrue(e.getMessage().contains(field), "message must name '" + field + "': " + e.getMessage());
            return e;
        }
    }

    /** Opening must either succeed or throw a WeightFormatException naming the file; nothing else. */
    public static boolean openOrReject(Path file) {
        try (ModelWeights w = ModelFiles.open(file)) {
            w.tensors().values().forEach(t -> t.data().getFloat(t.elementCount() - 1));
            return true;
        } catch (WeightFormatException e) {
            assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
            return false;
        }
    }

    public static Path write(Path file, byte[] content) {
        try {
            return Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the first {@code length} bytes of {@code content} to {@code file}. */
    public static Path writePrefix(Path file, byte[] content, int length) {
        return write(file, java.util.Arrays.copyOf(content, length));
    }
}
