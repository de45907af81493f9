package io.jsteer.steering.mat.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * MAT-Steer's generative setting (spec §2 "HelpSteer", §4): rows of the official HelpSteer JSON
 * Lines layout (nvidia/HelpSteer and HelpSteer2 share it),
 * <pre>{"prompt": "...", "response": "...", "helpfulness": 3, "correctness": 3, "coherence": 4, "complexity": 1, "verbosity": 2}</pre>
 * with five 0–4 scores. Per attribute a score ≥ 3 is desirable; the module's five attributes are
 * trained on 500 + 500 rows of each (sampled from the train split), and prompts are split
 * 40/10/50 train/dev/test by prompt (HelpSteer has several responses per prompt: they stay together).
 */
public final class HelpSteer {

    /** The five attributes, in the order of the checkpoint's attributes. */
    public static final List<String> ATTRIBUTES = List.of("helpfulness", "correctness", "coherence", "complexity", "verbosity");
    /** Scores at or above this are the desirable side (spec §2). */
    public static final int POSITIVE_FROM = 3;
    /** Rows per attribute and polarity the paper samples. */
    public static final int PER_POLARITY = 500;

    /** One response with its five scores ({@code [5]}, in {@link #ATTRIBUTES} order); {@code line} is 1-based. */
    public record Row(int line, String prompt, String response, int[] scores) {

        /** The training text, in the QA tasks' format: {@code "Q: {prompt} A: {response}"}. */
        public String text() { return query() + " " + response.strip(); }

        /** What the model is asked to continue when generating: {@code "Q: {prompt} A:"}. */
        public String query() { return McItem.prompt(prompt); }

        public boolean positive(int attribute) { return scores[attribute] >= POSITIVE_FROM; }
    }

    /** Train/dev/test rows, split by prompt. */
    public record Splits(List<Row> train, List<Row> dev, List<Row> test) {

        /** The test split's distinct prompts in split order: what generation is evaluated on. */
        public List<Row> testPrompts() {
            Map<String, Row> first = new LinkedHashMap<>();
            for (Row r : test) {
                first.putIfAbsent(r.prompt(), r);
            }
            return List.copyOf(first.values());
        }
    }

    private HelpSteer() {}

    /** Reads every non-blank line; any bad line stops with an error naming the file, line and field. */
    public static List<Row> read(Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        for (JsonLines line : JsonLines.read("HelpSteer file", file)) {
            JsonNode n = line.node();
            String where = line.where();
            if (!n.isObject()) {
                throw new IOException(where + ": expected a JSON object with prompt, response and the five scores");
            }
            String prompt = text(n, "prompt", where), response = text(n, "response", where);
            int[] scores = new int[ATTRIBUTES.size()];
            for (int a = 0; a < scores.length; a++) {
                String field = ATTRIBUTES.get(a);
                JsonNode s = n.get(field);
                // HelpSteer stores integers; HelpSteer2 too (some mirrors write 3.0: accepted when whole)
                if (s == null || !s.isNumber() || s.asDouble() != Math.rint(s.asDouble()) || s.asInt() < 0 || s.asInt() > 4) {
                    throw new IOException(where + ": field " + field + " must be an integer score 0-4, got " + (s == null ? "nothing" : s));
                }
                scores[a] = s.asInt();
            }
            rows.add(new Row(line.index() + 1, prompt, response, scores));
        }
        if (rows.isEmpty()) {
            throw new IOException(file + ": no rows");
        }
        return rows;
    }

    private static String text(JsonNode n, String field, String where) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IOException(where + ": field " + field + " is missing or empty");
        }
        return v.asText();
    }

    /** Shuffles the distinct prompts with {@code seed} and cuts them 40/10/50 (rounded down; the rest is test). */
    public static Splits split(List<Row> rows, long seed) {
        Map<String, List<Row>> byPrompt = new LinkedHashMap<>();
        for (Row r : rows) {
            byPrompt.computeIfAbsent(r.prompt(), k -> new ArrayList<>()).add(r);
        }
        List<String> prompts = new ArrayList<>(byPrompt.keySet());
        Collections.shuffle(prompts, new Random(seed));
        int n = prompts.size(), nTrain = (int) Math.floor(n * 0.4), nDev = (int) Math.floor(n * 0.1);
        List<List<Row>> parts = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < n; i++) {
            parts.get(i < nTrain ? 0 : i < nTrain + nDev ? 1 : 2).addAll(byPrompt.get(prompts.get(i)));
        }
        return new Splits(List.copyOf(parts.get(0)), List.copyOf(parts.get(1)), List.copyOf(parts.get(2)));
    }

    /**
     * Attribute {@code a}'s train rows: up to {@code perPolarity} desirable and as many undesirable
     * ones, drawn without replacement with {@code seed} (all of a side when it has fewer).
     *
     * @return {positives, negatives}
     * @throws IllegalArgumentException when a side is empty (the attribute cannot be trained)
     */
    public static List<List<Row>> sample(List<Row> train, int a, int perPolarity, long seed) {
        List<Row> pos = new ArrayList<>(), neg = new ArrayList<>();
        for (Row r : train) {
            (r.positive(a) ? pos : neg).add(r);
        }
        if (pos.isEmpty() || neg.isEmpty()) {
            throw new IllegalArgumentException("HelpSteer attribute " + ATTRIBUTES.get(a) + ": the train split has " + pos.size()
                    + " rows scored >= 3 and " + neg.size() + " scored < 3; both sides are needed");
        }
        Random rnd = new Random(seed * 31 + a);
        Collections.shuffle(pos, rnd);
        Collections.shuffle(neg, rnd);
        return List.of(List.copyOf(pos.subList(0, Math.min(perPolarity, pos.size()))),
                List.copyOf(neg.subList(0, Math.min(perPolarity, neg.size()))));
    }
}
