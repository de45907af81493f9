package io.jsteer.steering.mat.tasks;

import java.io.IOException;
import java.nio.file.Path;

/** A MAT-Steer attribute's data: a built-in task or the user's own JSONL file. */
public sealed interface TaskSource permits MatTask, JsonlTask {

    /** The attribute name. */
    String label();

    /** Items split train/dev/test with {@code seed}; {@code dataDir} locates the built-in tasks. */
    TaskSplits load(Path dataDir, long seed) throws IOException;

    /** {@code truthfulqa}, {@code bbq}, {@code toxigen}, {@code sentiment}, or a {@code .jsonl} path (optionally prefixed {@code jsonl:}). */
    static TaskSource parse(String s) {
        String t = s.trim();
        if (t.startsWith("jsonl:")) {
            return new JsonlTask(Path.of(t.substring("jsonl:".length())));
        }
        if (t.endsWith(".jsonl")) {
            return new JsonlTask(Path.of(t));
        }
        try {
            return MatTask.parse(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown MAT-Steer task '" + s + "' (expected truthfulqa, bbq, toxigen, sentiment or a .jsonl file)");
        }
    }
}
