package io.jsteer.spark;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The read-only shared files (surefire sets jsteer.shared); a missing file fails the test, never skips it. */
final class Shared {

    private Shared() {}

    static Path path(String relative) {
        String shared = System.getProperty("jsteer.shared");
        assertNotNull(shared, "system property jsteer.shared is not set (surefire sets it to <root>/../shared)");
        Path p = Path.of(shared).resolve(relative).toAbsolutePath().normalize();
        assertTrue(Files.exists(p), "shared file missing: " + p);
        return p;
    }
}
