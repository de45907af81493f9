package io.jsteer.steering.mat.tasks;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * TruthfulQA's CSV (UTF-8 with BOM; {@code Question}, {@code Best Answer}, {@code Correct Answers},
 * {@code Incorrect Answers}, the lists {@code ; }-separated) as MC2 items: every correct answer
 * (the best answer included) is true, every incorrect one false. As in TruthfulQA's own
 * {@code split_multi_answer}, each answer gets a closing period when it has none.
 */
public final class TruthfulQa {

    private TruthfulQa() {}

    public static List<McItem> load(Path csv) throws IOException {
        String text = InputFiles.readText("TruthfulQA task file", csv, InputFiles.DATASET_LIMIT); // strict UTF-8, byte-order mark dropped
        List<McItem> items = new ArrayList<>();
        CsvMapper mapper = new CsvMapper();
        MappingIterator<Map<String, String>> header;
        try { // reading the header row can fail too
            header = mapper.readerForMapOf(String.class).with(CsvSchema.emptySchema().withHeader()).readValues(text);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(csv + " row 1: not valid CSV (" + e.getOriginalMessage() + ")", e);
        }
        try (MappingIterator<Map<String, String>> rows = header) {
            int row = 1;
            while (true) {
                row++;
                Map<String, String> r;
                try { // the checked forms: a CSV syntax error is then an exception we can name the file and row in
                    if (!rows.hasNextValue()) {
                        break;
                    }
                    r = rows.nextValue();
                } catch (com.fasterxml.jackson.core.JacksonException e) {
                    throw new IOException(csv + " row " + row + ": not valid CSV (" + e.getOriginalMessage() + ")", e);
                }
                String question = field(r, csv, row, "Question");
                Set<String> correct = new LinkedHashSet<>();
                correct.add(close(field(r, csv, row, "Best Answer")));
                correct.addAll(answers(field(r, csv, row, "Correct Answers")));
                Set<String> incorrect = new LinkedHashSet<>(answers(field(r, csv, row, "Incorrect Answers")));
                incorrect.removeAll(correct);
                if (incorrect.isEmpty()) {
                    throw new IOException(csv + " row " + row + ": no incorrect answer");
                }
                List<String> choices = new ArrayList<>(correct);
                choices.addAll(incorrect);
                List<Boolean> labels = new ArrayList<>();
                correct.forEach(c -> labels.add(true));
                incorrect.forEach(c -> labels.add(false));
                items.add(new McItem("truthfulqa", "q" + (row - 2), McItem.prompt(question), choices, labels, 0)); // best answer first
            }
        }
        if (items.isEmpty()) {
            throw new IOException(csv + ": no questions");
        }
        return items;
    }

    private static String field(Map<String, String> r, Path csv, int row, String name) throws IOException {
        String v = r.get(name);
        if (v == null || v.isBlank()) {
            throw new IOException(csv + " row " + row + ": column '" + name + "' is missing or empty");
        }
        return v.strip();
    }

    static List<String> answers(String list) {
        List<String> out = new ArrayList<>();
        for (String a : list.split(";")) {
            if (!a.isBlank()) {
                out.add(close(a.strip()));
            }
        }
        return out;
    }

    static String close(String answer) {
        return answer.endsWith(".") ? answer : answer + ".";
    }
}
