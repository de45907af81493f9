package io.jsteer.weights;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the read-only shared models; a missing file fails the test (never skips it). */
public final class SharedFiles {

    private SharedFiles() {}

    public static Path model(String name) {
        String shared = System.getProperty("jsteer.shared");
        assertNotNull(shared, "system property jsteer.shared is not set (surefire sets it to <root>/../shared)");
        Path p = Path.of(shared, "models", name);
        assertTrue(Files.isRegularFile(p), "shared model file missing: " + p);
        return p;
    }
}
