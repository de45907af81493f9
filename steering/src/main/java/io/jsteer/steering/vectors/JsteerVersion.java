package io.jsteer.steering.vectors;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The project version, from a resource Maven fills in at build time. */
final class JsteerVersion {

    private JsteerVersion() {}

    static String get() {
        try (InputStream in = JsteerVersion.class.getResourceAsStream("/io/jsteer/steering/version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
