package io.jsteer.steering.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jsteer.steering.data.DatasetException;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.mat.tasks.Bbq;
import io.jsteer.steering.mat.tasks.JsonlTask;
import io.jsteer.steering.mat.tasks.TruthfulQa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Hostile dataset files: whatever the bytes, every reader of the dataset shapes in
 * {@code shared/data/MANIFEST.md} (CAA A/B items, contrastive pairs, prompt lists in JSON and CSV,
 * labelled JSON Lines, plain texts, the AFINN lexicon, TruthfulQA's CSV, BBQ's JSON Lines, a
 * user's MAT task file, line pairs) either reads the file or fails with a typed error naming the
 * file; never an index error, a bare number-format message, an out-of-memory or a hang.
 *
 * <p>Input layout: {@link FuzzInput} (byte 0 picks the reader; line pairs read both files, every
 * other reader the second). The seeds are the first records of the shared files, re-serialised
 * small; a normal build replays them from
 * {@code src/test/resources/io/jsteer/steering/fuzz/DatasetFuzzTestInputs/}; {@code JAZZER_FUZZ=1
 * ./mvnw -pl steering test -Dtest=DatasetFuzzTest} mutates them for the time below.
 */
class DatasetFuzzTest {

    /** The file name each reader is given (the extension picks the format). */
    private static final String[] FILES = {"ab.json", "ab.jsonl", "pairs.jsonl", "prompts.csv", "prompts.json", "labelled.jsonl",
            "texts.json", "texts.txt", "AFINN.txt", "TruthfulQA.csv", "mat-TruthfulQA.csv", "Religion.jsonl", "task.jsonl", "positive.txt"};

    @FuzzTest(maxDuration = "10m")
    void anyBytesReadOrFailNamingTheFile(byte[] input) throws IOException {
        FuzzInput in = FuzzInput.of(input, FILES.length);
        if (in == null) {
            return;
        }
        Path dir = Files.createTempDirectory("jsteer-fuzz");
        Path file = dir.resolve(FILES[in.kind()]), negatives = dir.resolve("negative.txt");
        try {
            Files.write(file, in.second());
            try {
                switch (in.kind()) {
                    case 0, 1 -> Datasets.abItems(file);
                    case 2 -> Datasets.pairs(file);
                    case 3 -> Datasets.prompts(file, "goal", "harmful");
                    case 4 -> Datasets.prompts(file, "instruction", "harmful");
                    case 5 -> Datasets.labelled(file, "text", "label");
                    case 6, 7 -> Datasets.texts(file);
                    case 8 -> Datasets.lexicon(file);
                    case 9 -> Datasets.truthfulQa(file);
                    case 10 -> TruthfulQa.load(file);
                    case 11 -> Bbq.load(List.of(file));
                    case 12 -> new JsonlTask(file).load(dir, 1);
                    default -> {
                        Files.write(negatives, in.first());
                        Datasets.linePairs(file, negatives, true);
                    }
                }
            } catch (DatasetException | IllegalArgumentException | IllegalStateException | UncheckedIOException | IOException expected) {
                FuzzInput.requireNamesAFile(expected, List.of(file, negatives));
            }
        } finally {
            try (Stream<Path> left = Files.list(dir)) {
                for (Path p : left.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }
}
