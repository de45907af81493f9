package io.jsteer.model.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared read-only models directory; a missing file fails the test, never skips it. */
public final class SharedFiles {
    private SharedFiles() {
    }

    public static Path model(String name) {
        String configured = System.getProperty("jsteer.shared");
        Path root = configured != null ? Path.of(configured) : Path.of("../../shared");
        Path file = root.resolve("models").resolve(name);
        if (!Files.isRegularFile(file)) {
            fail("shared test file missing: " + file.toAbsolutePath()
                    + " (set -Djsteer.shared=<dir containing models/>)");
        }
        return file;
    }

    /** Files that the npm step of the build writes under target/npm. */
    public static Path npm(String relative) {
        Path file = Path.of("target/npm").resolve(relative);
        if (!Files.isRegularFile(file)) {
            fail("npm reference file missing: " + file.toAbsolutePath()
                    + " (the generate-test-resources phase installs it; run the Maven build with npm/node available)");
        }
        return file;
    }
}
