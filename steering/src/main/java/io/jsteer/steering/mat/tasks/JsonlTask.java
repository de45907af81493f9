package io.jsteer.steering.mat.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsteer.steering.mat.Fingerprints;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The user's own attribute: a JSON Lines file, one multiple-choice item per line,
 * <pre>{"question": "How was the picnic?", "choices": ["It was lovely.", "It was awful."], "labels": [1, 0]}</pre>
 * (labels 1 = desirable, 0 = undesirable; at least one of each). The attribute is named after
 * the file (its name without {@code .jsonl}); items are split 64/16/20 train/dev/test, seeded.
 */
public record JsonlTask(Path file) implements TaskSource {

    @Override
    public String label() {
        return file.getFileName().toString().replaceFirst("\\.jsonl$", "");
    }

    @Override
    public TaskSplits load(Path dataDir, long seed) throws IOException {
        List<McItem> items = new ArrayList<>();
        for (JsonLines line : JsonLines.read("MAT task file", file)) {
            JsonNode n = line.node();
            String where = line.where();
            JsonNode q = n.get("question"), c = n.get("choices"), l = n.get("labels");
            if (q == null || !q.isTextual() || q.asText().isBlank()) {
                throw new IOException(where + ": field question is missing or empty");
            }
            if (c == null || !c.isArray() || l == null || !l.isArray() || c.size() != l.size() || c.size() < 2) {
                throw new IOException(where + ": fields choices and labels must be arrays of the same length, 2 or more");
            }
            List<String> choices = new ArrayList<>();
            List<Boolean> labels = new ArrayList<>();
            for (int k = 0; k < c.size(); k++) {
                if (!c.get(k).isTextual() || !(l.get(k).asInt(-1) == 0 || l.get(k).asInt(-1) == 1)) {
                    throw new IOException(where + ": choice " + k + " must be a string with label 0 or 1");
                }
                choices.add(c.get(k).asText().strip());
                labels.add(l.get(k).asInt() == 1);
            }
            try {
                items.add(new McItem(label(), Integer.toString(line.index() + 1), McItem.prompt(q.asText()), choices, labels));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }
        if (items.isEmpty()) {
            throw new IOException(file + ": no items");
        }
        return TaskSplits.split(label(), items, 0.64, 0.16, seed, Map.of(file.getFileName().toString(), Fingerprints.sha256(file)));
    }
}
