package io.jsteer.steering.mat.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.weights.InputFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The task readers' one JSON Lines loop: every non-blank line parsed, each with where it came from for errors. */
record JsonLines(JsonNode node, String where, int index) {

    /**
     * Reads {@code file} (bounded, strict UTF-8) and parses each non-blank line; a line that is not
     * JSON stops with an error naming the file and line. {@code what} names the file in errors.
     */
    static List<JsonLines> read(String what, Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> lines = InputFiles.readText(what, file, InputFiles.DATASET_LIMIT).lines().toList();
        List<JsonLines> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String where = file + " line " + (i + 1);
            try {
                out.add(new JsonLines(json.readTree(lines.get(i)), where, i));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(where + ": not JSON (" + e.getOriginalMessage() + ")", e);
            }
        }
        return out;
    }
}
