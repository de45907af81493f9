package io.jsteer.cli;

import io.jsteer.steering.mat.tasks.TaskSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Which MAT-Steer tasks, where their data is, and how much of it. */
final class MatDataOptions {

    @Option(names = "--tasks", paramLabel = "LIST", split = ",",
            description = "tasks (attributes): truthfulqa, bbq, toxigen, sentiment (AFINN word pairs), or your own FILE.jsonl with lines "
                    + "{\"question\": ..., \"choices\": [...], \"labels\": [1, 0, ...]}; mat train also takes helpsteer (with --data FILE) (default: all three for train, the module's for eval)")
    List<String> tasks;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "directory with truthfulqa/, bbq/, toxigen/ (default: $JSTEER_DATA, else ../shared/data beside jsteer)")
    Path dataDir;

    Path dataDir() {
        if (dataDir != null) {
            return dataDir;
        }
        String env = System.getenv("JSTEER_DATA");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path beside = ModelLocator.home().resolve("../shared/data").normalize();
        return Files.isDirectory(beside) ? beside : Path.of("../shared/data");
    }

    List<TaskSource> tasks(List<String> fallback) {
        List<TaskSource> out = new ArrayList<>();
        for (String t : tasks == null ? fallback : tasks) {
            TaskSource task = TaskSource.parse(t);
            if (out.contains(task)) {
                throw new UsageException("--tasks names " + t + " twice");
            }
            out.add(task);
        }
        return out;
    }

    static int positive(String flag, int n) {
        if (n < 1) {
            throw new UsageException(flag + " must be at least 1, got " + n);
        }
        return n;
    }
}
