package io.jsteer.steering.mat.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * BBQ JSON Lines ({@code context}, {@code question}, {@code ans0..2}, {@code label}) as
 * 3-choice items with the prompt {@code "Q: {context} {question} A:"}; the gold answer is the
 * positive, the other two are negatives (spec §2).
 */
public final class Bbq {

    /** The official release's 11 category files ({@code data/CATEGORY.jsonl} in the BBQ repository); the paper uses all. */
    public static final List<String> CATEGORIES = List.of("Age", "Disability_status", "Gender_identity", "Nationality",
            "Physical_appearance", "Race_ethnicity", "Race_x_SES", "Race_x_gender", "Religion", "SES", "Sexual_orientation");

    private Bbq() {}

    /** The official categories without a {@code CATEGORY.jsonl} in {@code dir} (e.g. ../shared/data/bbq holds two of 11). */
    public static List<String> missingCategories(Path dir) {
        return CATEGORIES.stream().filter(c -> !java.nio.file.Files.isRegularFile(dir.resolve(c + ".jsonl"))).toList();
    }

    public static List<McItem> load(List<Path> files) throws IOException {
        List<McItem> items = new ArrayList<>();
        for (Path file : files) {
            String stem = file.getFileName().toString().replaceFirst("\\.jsonl$", "");
            for (JsonLines line : JsonLines.read("BBQ task file", file)) {
                JsonNode n = line.node();
                String where = line.where();
                int i = line.index();
                int label = n.path("label").asInt(-1);
                if (label < 0 || label > 2) {
                    throw new IOException(where + ": field label must be 0, 1 or 2, got " + n.path("label"));
                }
                List<String> choices = List.of(text(n, "ans0", where), text(n, "ans1", where), text(n, "ans2", where));
                List<Boolean> labels = List.of(label == 0, label == 1, label == 2);
                String question = text(n, "context", where) + " " + text(n, "question", where);
                items.add(new McItem("bbq", stem + ":" + n.path("example_id").asText(Integer.toString(i)),
                        McItem.prompt(question), choices, labels));
            }
        }
        if (items.isEmpty()) {
            throw new IOException("no BBQ items in " + files);
        }
        return items;
    }

    private static String text(JsonNode n, String field, String where) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IOException(where + ": field " + field + " is missing or empty");
        }
        return v.asText().strip();
    }
}
