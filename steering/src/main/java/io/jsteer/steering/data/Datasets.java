package io.jsteer.steering.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed readers for the dataset shapes steering uses. Each takes a JSON, JSON Lines, CSV or text
 * file (format from the extension, see {@link DatasetFormat}) and names file, line, record and
 * field when a record does not fit.
 *
 * <p>The shared datasets load as they are:
 * <pre>{@code
 * Datasets.abItems(caa/refusal_generate_dataset.json)                    // 408 A/B items
 * Datasets.prompts(refusal_direction/harmful_train.json, "instruction", "harmful")
 * Datasets.prompts(advbench/harmful_behaviors.csv, "goal", "harmful")
 * Datasets.linePairs(sentiment/cvector_positive.txt, sentiment/cvector_negative.txt, true)
 * Datasets.texts(sentiment/repeng_true_facts.json)
 * Datasets.lexicon(sentiment/AFINN-en-165.txt)
 * Datasets.truthfulQa(truthfulqa/TruthfulQA.csv)
 * }</pre>
 */
public final class Datasets {

    public static final String FIELD_QUESTION = "question";
    public static final String FIELD_MATCHING = "answer_matching_behavior";
    public static final String FIELD_NOT_MATCHING = "answer_not_matching_behavior";
    public static final String FIELD_POSITIVE = "positive";
    public static final String FIELD_NEGATIVE = "negative";

    /** "(A)", "A", " (B) " … */
    private static final Pattern ANSWER = Pattern.compile("\\s*\\(?\\s*([A-Z])\\s*\\)?\\s*");

    private Datasets() {}

    /**
     * A/B items in the CAA format: {@code question}, {@code answer_matching_behavior} and
     * {@code answer_not_matching_behavior} ("(A)" or "A"); the question must contain both
     * options, written "(A)" and "(B)".
     */
    public static Dataset<AbItem> abItems(Path file) {
        RecordReader.Records rs = RecordReader.read(file);
        List<AbItem> items = new ArrayList<>();
        for (SourceRecord r : rs.records()) {
            String question = r.nonBlank(FIELD_QUESTION);
            String matching = letter(r, FIELD_MATCHING);
            String other = letter(r, FIELD_NOT_MATCHING);
            if (matching.equals(other)) {
                throw r.error(FIELD_NOT_MATCHING, "is the same answer (" + matching + ") as " + FIELD_MATCHING);
            }
            for (String l : List.of(matching, other)) {
                if (!question.contains(AbItem.answerText(l))) {
                    throw r.error(FIELD_QUESTION, "does not offer option " + AbItem.answerText(l));
                }
            }
            items.add(new AbItem(question, matching, other));
        }
        return new Dataset<>(List.of(rs.source()), items);
    }

    private static String letter(SourceRecord r, String field) {
        String s = r.text(field);
        Matcher m = ANSWER.matcher(s);
        if (!m.matches()) {
            throw r.error(field, "must be an answer letter like \"(A)\", found \"" + s + "\"");
        }
        return m.group(1);
    }

    /** Contrastive pairs from the fields {@code positive} and {@code negative}. */
    public static Dataset<ContrastivePair> pairs(Path file) {
        return pairs(file, FIELD_POSITIVE, FIELD_NEGATIVE);
    }

    /** Contrastive pairs from two named fields of each record. */
    public static Dataset<ContrastivePair> pairs(Path file, String positiveField, String negativeField) {
        RecordReader.Records rs = RecordReader.read(file);
        List<ContrastivePair> items = new ArrayList<>();
        for (SourceRecord r : rs.records()) {
            items.add(new ContrastivePair(r.nonBlank(positiveField), r.nonBlank(negativeField)));
        }
        return new Dataset<>(List.of(rs.source()), items);
    }

    /**
     * Pairs from two files of the same length, record i of one with record i of the other (the
     * layout of llama.cpp's cvector-generator prompt files; text lines or JSON strings).
     *
     * @param unescape turn the two-character escapes {@code \n}, {@code \t}, {@code \r},
     *                 {@code \\}, {@code \"}, {@code \'} into the characters, as llama.cpp does
     *                 when it reads those prompt files
     */
    public static Dataset<ContrastivePair> linePairs(Path positives, Path negatives, boolean unescape) {
        Dataset<String> pos = texts(positives);
        Dataset<String> neg = texts(negatives);
        if (pos.size() != neg.size()) {
            throw new DatasetException(positives + " has " + pos.size() + " prompts but " + negatives + " has "
                    + neg.size() + "; line i of one pairs with line i of the other");
        }
        List<ContrastivePair> items = new ArrayList<>();
        for (int i = 0; i < pos.size(); i++) {
            String p = pos.get(i), n = neg.get(i);
            items.add(unescape ? new ContrastivePair(unescape(p), unescape(n)) : new ContrastivePair(p, n));
        }
        List<DatasetSource> sources = new ArrayList<>(pos.sources());
        sources.addAll(neg.sources());
        return new Dataset<>(sources, items);
    }

    /** Prompts all of one class: the text in {@code textField} (use "text" for lines or strings). */
    public static Dataset<LabelledPrompt> prompts(Path file, String textField, String label) {
        RecordReader.Records rs = RecordReader.read(file);
        List<LabelledPrompt> items = new ArrayList<>();
        for (SourceRecord r : rs.records()) {
            items.add(new LabelledPrompt(r.nonBlank(textField), label));
        }
        return new Dataset<>(List.of(rs.source()), items);
    }

    /** Prompts whose class is a field of each record. */
    public static Dataset<LabelledPrompt> labelled(Path file, String textField, String labelField) {
        RecordReader.Records rs = RecordReader.read(file);
        List<LabelledPrompt> items = new ArrayList<>();
        for (SourceRecord r : rs.records()) {
            items.add(new LabelledPrompt(r.nonBlank(textField), r.nonBlank(labelField)));
        }
        return new Dataset<>(List.of(rs.source()), items);
    }

    /** Plain strings: the lines of a text file (blank lines skipped) or a JSON array of strings (kept as they are). */
    public static Dataset<String> texts(Path file) {
        RecordReader.Records rs = RecordReader.read(file);
        List<String> items = new ArrayList<>();
        for (SourceRecord r : rs.records()) {
            items.add(r.text(RecordReader.TEXT));
        }
        return new Dataset<>(List.of(rs.source()), items);
    }

    /** A tab-separated lexicon, {@code term<TAB>integer} per line (AFINN). */
    public static Dataset<LexiconEntry> lexicon(Path file) {
        RecordReader.Records rs = RecordReader.read(file, DatasetFormat.TEXT);
        List<LexiconEntry> items = new ArrayList<>();
        for (SourceRecord r : rs.records()) {
            String line = r.text(RecordReader.TEXT);
            int tab = line.lastIndexOf('\t');
            if (tab <= 0) {
                throw DatasetException.at(file, r.line(), r.index(), null, "expected 'term<TAB>valence', found \"" + line + "\"");
            }
            try {
                items.add(new LexiconEntry(line.substring(0, tab), Integer.parseInt(line.substring(tab + 1).strip())));
            } catch (NumberFormatException e) {
                throw DatasetException.at(file, r.line(), r.index(), null, "valence is not an integer: \"" + line.substring(tab + 1) + "\"");
            }
        }
        return new Dataset<>(List.of(rs.source()), items);
    }

    /** TruthfulQA.csv: columns Type, Category, Question, Best Answer, Correct Answers, Incorrect Answers. */
    public static Dataset<TruthfulQaItem> truthfulQa(Path file) {
        RecordReader.Records rs = RecordReader.read(file);
        List<TruthfulQaItem> items = new ArrayList<>();
        for (SourceRecord r : rs.records()) {
            List<String> incorrect = splitAnswers(r.nonBlank("Incorrect Answers"));
            items.add(new TruthfulQaItem(r.text("Type"), r.text("Category"), r.nonBlank("Question"),
                    r.nonBlank("Best Answer"), splitAnswers(r.text("Correct Answers")), incorrect));
        }
        return new Dataset<>(List.of(rs.source()), items);
    }

    private static List<String> splitAnswers(String s) {
        return Arrays.stream(s.split(";")).map(String::strip).filter(a -> !a.isEmpty()).toList();
    }

    /** llama.cpp's escape processing for prompt files (the subset those files use). */
    static String unescape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                sb.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '\\' -> sb.append('\\');
                case '"' -> sb.append('"');
                case '\'' -> sb.append('\'');
                default -> sb.append('\\').append(e);
            }
        }
        return sb.toString();
    }
}
