package io.jsteer.steering.mat.tasks;

import io.jsteer.steering.mat.Fingerprints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The MAT-Steer QA tasks over the shared data directory, with the paper's splits (spec §4):
 * TruthfulQA 40/10/50 train/dev/test by question. BBQ and ToxiGen have no official validation
 * split here, so 20% of items is held out as test and the rest split 80/20 train/dev
 * (64/16/20 overall). {@code sentiment} builds word-pair items from the AFINN lexicon
 * ({@link Sentiment}), split like BBQ.
 */
public enum MatTask implements TaskSource {
    TRUTHFULQA("truthfulqa/TruthfulQA.csv", 0.4, 0.1),
    BBQ("bbq", 0.64, 0.16),
    TOXIGEN("toxigen/demonstrations", 0.64, 0.16),
    SENTIMENT("sentiment/AFINN-en-165.txt", 0.64, 0.16);

    private final String relativePath;
    private final double trainFraction, devFraction;

    MatTask(String relativePath, double trainFraction, double devFraction) {
        this.relativePath = relativePath;
        this.trainFraction = trainFraction;
        this.devFraction = devFraction;
    }

    /** The attribute name, e.g. {@code truthfulqa}. */
    @Override
    public String label() { return name().toLowerCase(Locale.ROOT); }

    public static MatTask parse(String s) {
        for (MatTask t : values()) {
            if (t.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown MAT-Steer task '" + s + "' (expected truthfulqa, bbq, toxigen or sentiment)");
    }

    /** Loads the task from {@code dataDir} (e.g. ../shared/data) and splits it with {@code seed}. */
    @Override
    public TaskSplits load(Path dataDir, long seed) throws IOException {
        Path p = dataDir.resolve(relativePath);
        if (!Files.exists(p)) {
            throw new NoSuchFileException(p.toString(), null, "data of task " + label() + " (set --data-dir)");
        }
        Map<String, String> hashes = new LinkedHashMap<>();
        List<McItem> items = switch (this) {
            case TRUTHFULQA -> TruthfulQa.load(p);
            case BBQ -> Bbq.load(files(p, ".jsonl"));
            case TOXIGEN -> Toxigen.load(p, seed);
            case SENTIMENT -> Sentiment.load(p, seed);
        };
        for (Path f : Files.isDirectory(p) ? files(p, this == BBQ ? ".jsonl" : ".txt") : List.of(p)) {
            hashes.put(dataDir.relativize(f).toString(), Fingerprints.sha256(f));
        }
        return TaskSplits.split(label(), items, trainFraction, devFraction, seed, hashes);
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> out = new ArrayList<>(walk.filter(f -> Files.isRegularFile(f) && f.toString().endsWith(suffix)).sorted().toList());
            if (out.isEmpty()) {
                throw new NoSuchFileException(dir.toString(), null, "no *" + suffix + " files");
            }
            return out;
        }
    }
}
