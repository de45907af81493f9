package io.jsteer.bench;

import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelShapes;
import io.jsteer.weights.SyntheticModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Random-weight models for benchmarks, written once into a cache directory and reused. */
public final class BenchModels {

    /** Seed of every benchmark model, so that all runs time the same weights. */
    public static final long SEED = 1234;

    private BenchModels() {}

    /** {@code $JSTEER_BENCH_DIR}, else {@code ~/.cache/jsteer/bench}. */
    public static Path cacheDir() {
        String env = System.getenv("JSTEER_BENCH_DIR");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "jsteer", "bench");
    }

    /** The GGUF of {@code shape} in {@code dtype}, synthesized on first use (progress on stderr). */
    public static Path ensure(String shape, String dtype) throws IOException {
        DType t = DType.parse(dtype);
        Path dir = cacheDir();
        Files.createDirectories(dir);
        Path file = dir.resolve(shape + "-" + t.label() + "-seed" + SEED + ".gguf");
        if (!Files.isRegularFile(file)) {
            System.err.println("jsteer bench: writing random-weight " + shape + " " + t.label() + " to " + file + " (once)");
            SyntheticModels.write(ModelShapes.byName(shape), t, SEED, file);
        }
        return file;
    }
}
