package io.jsteer.weights;

import java.nio.file.Path;

/**
 * A weight file (or directory) that cannot be read as what it claims to be. Unchecked: callers
 * at the boundary (CLI, server) print the message, which always names the file and the field,
 * in the form {@code "<file>: <field>: <problem> (value ...)"}.
 */
public class WeightFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public WeightFormatException(Path file, String field, String problem, Object value) {
        super(file + ": " + field + ": " + problem + " (value " + value + ")");
    }

    public WeightFormatException(Path file, String field, String problem) {
        super(file + ": " + field + ": " + problem);
    }

    public WeightFormatException(Path file, String field, String problem, Throwable cause) {
        super(file + ": " + field + ": " + problem, cause);
    }
}
