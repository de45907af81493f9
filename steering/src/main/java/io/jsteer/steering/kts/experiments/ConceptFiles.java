package io.jsteer.steering.kts.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.kts.data.RenderedConcept;
import io.jsteer.steering.data.Datasets;
import io.jsteer.weights.InputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The KTS concept pool and target vectors from files in the reference code's layout
 * (kl-then-steer {@code datasets/refusal/}, read by its {@code large_scale_concept_dataset}):
 *
 * <ul>
 *   <li>{@code concept_lists.json}: {@code {"criminal_concepts": [...], "bad_concepts": [...],
 *       "neutral_concepts": [...]}} (the reference keeps these lists in {@code lat/utils.py}); every
 *       list except {@code neutral_concepts} names steered concepts;</li>
 *   <li>one JSON Lines file per concept, {@code <prefix>_<concept>_generated_concept_sentences.jsonl}
 *       (or {@code <concept>.jsonl}), records {@code {"concept": ..., "sentence": ...}};</li>
 *   <li>optionally the refusal A/B items in CAA's layout (question, answer_matching_behavior,
 *       answer_not_matching_behavior), which the reference adds to the pool as "refusal".</li>
 * </ul>
 *
 * Each steered concept gives two pool entries, as in the reference: its sentences wrapped as
 * {@code Think about the concept of "X" in this sentence:\n...} and bare ({@code X_no_prompt}),
 * each zipped with a seeded shuffle of all neutral sentences; the train split is the first
 * {@link #TRAIN_PER_CONCEPT} distinct sentences of a file, the test split the next 40.
 * A refusal pair is (question, compliant answer) first, (question, refusing answer) second, the
 * first 80 % of the items for training.
 */
public final class ConceptFiles {

    public static final int TRAIN_PER_CONCEPT = 160;
    public static final int TEST_PER_CONCEPT = 40;
    public static final String LISTS_FILE = "concept_lists.json";
    public static final String NEUTRAL_KEY = "neutral_concepts";
    /** The resource directory of the built-in stories260K files (the demo's 20 concepts and its happy/sad target). */
    public static final String BUILT_IN = "stories260K";
    private static final String RESOURCES = "/io/jsteer/steering/kts/experiments/";

    /** A named list of contrast pairs (one pool entry or one target). */
    public record NamedPairs(String name, List<PromptPair> pairs) {
        public NamedPairs {
            if (pairs.isEmpty()) {
                throw new IllegalArgumentException("concept '" + name + "' has no contrast pairs");
            }
            pairs = List.copyOf(pairs);
        }

        /** The first {@code maxPairs} pairs rendered by {@code format}: a KTS training pool entry or target. */
        public RenderedConcept render(PromptFormat format, Tokenizer tok, int maxPairs) {
            if (maxPairs < 1) {
                throw new IllegalArgumentException("pairs per concept must be at least 1, got " + maxPairs);
            }
            return new RenderedConcept(name, format.render(tok, pairs.subList(0, Math.min(maxPairs, pairs.size()))));
        }
    }

    /** Where the files come from: a directory or the built-in resources. */
    private interface Source {
        String read(String name) throws IOException;
        boolean exists(String name);
        String where(String name);
        List<String> names() throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Source source;

    private ConceptFiles(Source source) {
        this.source = source;
    }

    /** The files of a directory in the reference layout. */
    public static ConceptFiles directory(Path dir) {
        InputFiles.requireDirectory("concept directory", dir);
        return new ConceptFiles(new Source() {
            public String read(String name) { return InputFiles.readText("concept file", dir.resolve(name), InputFiles.DATASET_LIMIT); }
            public boolean exists(String name) { return Files.isRegularFile(dir.resolve(name)); }
            public String where(String name) { return dir.resolve(name).toString(); }
            public List<String> names() throws IOException {
                try (var s = Files.list(dir)) {
                    return s.map(p -> p.getFileName().toString()).sorted().toList();
                }
            }
        });
    }

    /** The built-in stories260K files (same layout, shipped as resources). */
    public static ConceptFiles builtIn() {
        return new ConceptFiles(new Source() {
            public String read(String name) throws IOException {
                try (InputStream in = ConceptFiles.class.getResourceAsStream(RESOURCES + BUILT_IN + "/" + name)) {
                    if (in == null) {
                        throw new IllegalArgumentException("built-in concept file " + name + " is missing");
                    }
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            public boolean exists(String name) { return ConceptFiles.class.getResource(RESOURCES + BUILT_IN + "/" + name) != null; }
            public String where(String name) { return "built-in " + BUILT_IN + "/" + name; }
            public List<String> names() throws IOException {
                return List.of(read("files.txt").split("\\R"));
            }
        });
    }

    /** The concept lists: list name to concept names, in file order. */
    public Map<String, List<String>> lists() throws IOException {
        if (!source.exists(LISTS_FILE)) {
            throw new IllegalArgumentException(source.where(LISTS_FILE) + " is missing: a concept directory needs the concept lists "
                    + "({\"criminal_concepts\": [...], \"bad_concepts\": [...], \"neutral_concepts\": [...]})");
        }
        JsonNode root = parse(source.read(LISTS_FILE), source.where(LISTS_FILE));
        if (!root.isObject()) {
            throw new IllegalArgumentException(source.where(LISTS_FILE) + ": must be a JSON object of concept lists");
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isArray()) {
                throw new IllegalArgumentException(source.where(LISTS_FILE) + ": " + e.getKey() + ": must be a list of concept names");
            }
            List<String> names = new ArrayList<>();
            for (JsonNode n : e.getValue()) {
                if (!n.isTextual() || n.asText().isBlank()) {
                    throw new IllegalArgumentException(source.where(LISTS_FILE) + ": " + e.getKey() + ": holds " + n + ", not a concept name");
                }
                names.add(n.asText());
            }
            out.put(e.getKey(), names);
        }
        if (!out.containsKey(NEUTRAL_KEY) || out.get(NEUTRAL_KEY).isEmpty()) {
            throw new IllegalArgumentException(source.where(LISTS_FILE) + ": " + NEUTRAL_KEY + " is missing or empty: the negatives "
                    + "of every pair are neutral sentences");
        }
        if (out.size() < 2) {
            throw new IllegalArgumentException(source.where(LISTS_FILE) + ": names no steered concepts (only " + NEUTRAL_KEY + ")");
        }
        return out;
    }

    /** The distinct sentences of a concept's file, in file order. */
    public List<String> sentences(String concept) throws IOException {
        String file = fileOf(concept);
        String where = source.where(file);
        LinkedHashSet<String> out = new LinkedHashSet<>();
        String[] lines = source.read(file).split("\\R");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            JsonNode r = parse(lines[i], where + ":" + (i + 1));
            JsonNode s = r.get("sentence");
            if (s == null || !s.isTextual() || s.asText().isBlank()) {
                throw new IllegalArgumentException(where + ":" + (i + 1) + ": field 'sentence' is missing or empty");
            }
            JsonNode c = r.get("concept");
            if (c != null && !c.asText().equals(concept)) {
                throw new IllegalArgumentException(where + ":" + (i + 1) + ": field 'concept' is '" + c.asText()
                        + "', the file is named for '" + concept + "'");
            }
            out.add(s.asText());
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(where + ": no sentences");
        }
        return List.copyOf(out);
    }

    private String fileOf(String concept) throws IOException {
        String suffix = "_" + concept + "_generated_concept_sentences.jsonl";
        for (String n : source.names()) {
            if (n.endsWith(suffix) || n.equals(concept + ".jsonl")) {
                return n;
            }
        }
        throw new IllegalArgumentException(source.where("*" + suffix) + " is missing: no sentence file for concept '" + concept
                + "' (expected <prefix>" + suffix + " or " + concept + ".jsonl)");
    }

    /**
     * The pool of the reference's large_scale_concept dataset: every steered concept with and
     * without the "Think about the concept" wrapper, each against shuffled neutral sentences.
     *
     * @param test    the test split (sentences 160..199) instead of the train split
     * @param wrapped include the "Think about the concept" entries
     * @param bare    include the bare-sentence entries ({@code X_no_prompt})
     */
    public List<NamedPairs> pool(boolean test, long seed, boolean wrapped, boolean bare) throws IOException {
        if (!wrapped && !bare) {
            throw new IllegalArgumentException("the concept pool needs the wrapped or the bare style (or both)");
        }
        Map<String, List<String>> lists = lists();
        // the reference wraps neutral sentences with their own concept's name too: keep (name, sentence)
        List<String[]> neutral = new ArrayList<>();
        for (String n : lists.get(NEUTRAL_KEY)) {
            for (String s : split(sentences(n), test)) {
                neutral.add(new String[] {n, s});
            }
        }
        List<NamedPairs> out = new ArrayList<>();
        int index = 0;
        for (var e : lists.entrySet()) {
            if (e.getKey().equals(NEUTRAL_KEY)) {
                continue;
            }
            for (String concept : e.getValue()) {
                List<String> own = split(sentences(concept), test);
                for (boolean wrap : new boolean[] {true, false}) {
                    if (wrap ? !wrapped : !bare) {
                        continue;
                    }
                    List<String[]> others = new ArrayList<>(neutral);
                    Collections.shuffle(others, new Random(seed * 1_000_003L + index++));
                    List<PromptPair> pairs = new ArrayList<>();
                    for (int i = 0; i < Math.min(own.size(), others.size()); i++) {
                        String[] other = others.get(i);
                        pairs.add(PromptPair.prompts(wrap ? wrap(concept, own.get(i)) : own.get(i),
                                wrap ? wrap(other[0], other[1]) : other[1]));
                    }
                    if (!pairs.isEmpty()) {
                        out.add(new NamedPairs(wrap ? concept : concept + "_no_prompt", pairs));
                    }
                }
            }
        }
        return out;
    }

    /** The reference's wrapper of a concept sentence. */
    public static String wrap(String concept, String sentence) {
        return "Think about the concept of \"" + concept + "\" in this sentence:\n" + sentence;
    }

    private static List<String> split(List<String> all, boolean test) {
        if (!test) {
            return all.subList(0, Math.min(TRAIN_PER_CONCEPT, all.size()));
        }
        return all.size() <= TRAIN_PER_CONCEPT ? List.of()
                : all.subList(TRAIN_PER_CONCEPT, Math.min(TRAIN_PER_CONCEPT + TEST_PER_CONCEPT, all.size()));
    }

    /**
     * Refusal A/B items as the reference's get_refusal_pairs builds them: (question, not-matching
     * = compliant answer) first, (question, matching = refusing answer) second, so positive c pushes
     * towards compliance and safety steering uses negative c. {@code test}: the last 20 %.
     */
    public static NamedPairs refusalAb(Path file, boolean test) {
        List<AbItem> items = Datasets.abItems(file).items();
        int cut = (int) (0.8 * items.size());
        List<AbItem> part = test ? items.subList(cut, items.size()) : items.subList(0, cut);
        List<PromptPair> pairs = new ArrayList<>();
        for (AbItem it : part) {
            pairs.add(new PromptPair(it.question(), AbItem.answerText(it.notMatching()), it.question(), AbItem.answerText(it.matching())));
        }
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException(file + ": too few A/B items for a " + (test ? "test" : "train") + " split");
        }
        return new NamedPairs("refusal", pairs);
    }

    /**
     * A target vector file: CAA A/B items (records with answer_matching_behavior) read as
     * {@link #refusalAb}, or records with {@code positive}/{@code negative} texts (first = positive).
     */
    public static NamedPairs target(Path file, boolean test) throws IOException {
        String text = InputFiles.readText("target file", file, InputFiles.DATASET_LIMIT);
        if (text.contains("\"" + Datasets.FIELD_MATCHING + "\"")) {
            return refusalAb(file, test);
        }
        var pairs = Datasets.pairs(file).items().stream().map(p -> PromptPair.prompts(p.positive(), p.negative())).toList();
        String name = file.getFileName().toString().replaceFirst("\\.[^.]*$", "");
        return new NamedPairs(name, pairs);
    }

    /** The built-in stories260K target (happy vs sad sentences, first = happy). */
    public NamedPairs builtInTarget() throws IOException {
        JsonNode arr = parse(source.read("target_happy_sad.json"), source.where("target_happy_sad.json"));
        List<PromptPair> pairs = new ArrayList<>();
        for (JsonNode n : arr) {
            pairs.add(PromptPair.prompts(n.get("positive").asText(), n.get("negative").asText()));
        }
        return new NamedPairs("happy_sad", pairs);
    }

    private static JsonNode parse(String text, String where) {
        try {
            return JSON.readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
    }
}
