package io.jsteer.steering.data;

import java.nio.file.Path;

/** A dataset file that cannot be used, with the file, the place in it and the reason. */
public class DatasetException extends RuntimeException {

    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{file}: line {line} (record {index}): field '{field}': {problem}"; line or field may be absent. */
    static DatasetException at(Path file, long line, int index, String field, String problem) {
        StringBuilder sb = new StringBuilder().append(file);
        if (line > 0) {
            sb.append(": line ").append(line);
        }
        if (index >= 0) {
            sb.append(line > 0 ? " (record " : ": record ").append(index + 1).append(line > 0 ? ")" : "");
        }
        if (field != null) {
            sb.append(": field '").append(field).append('\'');
        }
        return new DatasetException(sb.append(": ").append(problem).toString());
    }
}
