package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./jsteer} launcher script's decision to build. It runs the real script in a copy of
 * the checkout's layout whose {@code mvnw} only records that it was called (and creates the jar),
 * and whose JDK is a fake {@code java} that prints its arguments: a real build inside the test
 * suite would take a minute per call and race with the build running the tests.
 */
class LauncherTest {

    @TempDir
    Path root;

    private Path builds;

    record Call(String out, String err) {
        boolean built() {
            return err.contains("jsteer: building");
        }
    }

    @BeforeEach
    void fakeCheckout() throws IOException {
        // cli/ is the working directory of the cli module's tests; the launcher lives one level up
        Path checkout = Path.of("").toAbsolutePath().getParent();
        Path launcher = checkout.resolve("jsteer");
        assertTrue(Files.isRegularFile(launcher), "no launcher at " + launcher);
        Files.copy(launcher, root.resolve("jsteer"));
        Files.createDirectories(root.resolve(".mvn"));
        Files.copy(checkout.resolve(".mvn/find-jdk.sh"), root.resolve(".mvn/find-jdk.sh"));
        Files.writeString(root.resolve("pom.xml"), "<project/>\n");
        Files.createDirectories(root.resolve("cli"));
        Files.writeString(root.resolve("cli/pom.xml"), "<project/>\n");
        Files.createDirectories(root.resolve("model/src/main/java"));
        Files.writeString(root.resolve("model/src/main/java/A.java"), "class A {}\n");
        // sources (and their directories, whose times change when a file is added or deleted)
        // older than anything the test moves in time
        try (var all = Files.walk(root)) {
            for (Path f : all.toList()) {
                Files.setLastModifiedTime(f, FileTime.from(Instant.now().minusSeconds(120)));
            }
        }
        builds = root.resolve("builds.log");
        script(root.resolve("mvnw"), """
                #!/bin/sh
                # stands in for the Maven build: records the call and leaves what the launcher runs
                echo "$@" >> "%s"
                root=$(cd "$(dirname "$0")" && pwd)
                mkdir -p "$root/cli/target/classes/io/jsteer/cli"
                echo "-Dfrom.flags.file=1" > "$root/cli/target/classes/io/jsteer/cli/jvm.flags"
                : > "$root/cli/target/jsteer-cli.jar"
                """.formatted(builds));
        Path jdk = root.resolve("fake-jdk");
        Files.createDirectories(jdk.resolve("bin"));
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        script(jdk.resolve("bin/java"), "#!/bin/sh\necho \"java $*\"\n");
        script(jdk.resolve("bin/javac"), "#!/bin/sh\n");
    }

    private static void script(Path p, String text) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Call launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("sh", root.resolve("jsteer").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
        pb.environment().put("JAVA_HOME", root.resolve("fake-jdk").toString());
        pb.environment().remove("JSTEER_NO_BUILD");
        pb.environment().remove("JAVA_OPTS");
        pb.environment().putAll(env);
        Path out = root.resolve("out.txt"), err = root.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not finish");
        Call c = new Call(Files.readString(out), Files.readString(err));
        assertEquals(0, p.exitValue(), c.err());
        return c;
    }

    private long buildCount() throws IOException {
        return Files.exists(builds) ? Files.readAllLines(builds).size() : 0;
    }

    /**
     * Marks {@code p} as changed after the last build: the build stamp is moved a minute back and
     * {@code p} half a minute back, so the order does not depend on timestamp granularity, and a
     * build now leaves a stamp newer than {@code p}.
     */
    private void changedSinceBuild(Path p) throws IOException {
        Files.setLastModifiedTime(root.resolve("cli/target/jsteer-build.stamp"), FileTime.from(Instant.now().minusSeconds(60)));
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minusSeconds(30)));
    }

    @Test
    void jsonWrittenIntoTheCheckoutDoesNotTriggerABuildButASourceChangeDoes() throws Exception {
        Call first = launch(Map.of(), "-V");
        assertTrue(first.built(), "the first call builds: " + first.err());
        assertEquals(1, buildCount());
        assertTrue(first.out().contains("io.jsteer.cli.Main -V"), first.out());

        Call second = launch(Map.of(), "-V");
        assertFalse(second.built(), "nothing changed: " + second.err());

        // what README step 1 and the sweeps leave in the checkout
        Path refusal = root.resolve("refusal.json");
        Files.writeString(refusal, "{}");
        changedSinceBuild(refusal);
        Files.createDirectories(root.resolve("runs/sweep"));
        Files.writeString(root.resolve("runs/sweep/sweep.json"), "{}");
        changedSinceBuild(root.resolve("runs/sweep/sweep.json"));
        Call afterJson = launch(Map.of(), "-V");
        assertFalse(afterJson.built(), "JSON outputs are not sources: " + afterJson.err());
        assertEquals(1, buildCount());

        // a main source edited after the build is: one build, then settled again
        changedSinceBuild(root.resolve("model/src/main/java/A.java"));
        assertTrue(launch(Map.of(), "-V").built());
        assertEquals(2, buildCount());
        assertFalse(launch(Map.of(), "-V").built(), "the stamp written after the build settles the check");

        // a pom counts as well, and JSTEER_NO_BUILD skips the build it would cause
        changedSinceBuild(root.resolve("cli/pom.xml"));
        assertFalse(launch(Map.of("JSTEER_NO_BUILD", "1"), "-V").built());
        assertEquals(2, buildCount());
        assertTrue(launch(Map.of(), "-V").built());
        assertEquals(3, buildCount());
    }

    @Test
    void javaOptsReachTheJvmAfterTheProjectFlags() throws Exception {
        Call c = launch(Map.of("JAVA_OPTS", "-Xmx123m -Dx=y"), "run", "--prompt", "a b");
        String line = c.out().strip();
        assertTrue(line.contains("-Xmx123m -Dx=y"), line);
        // after the pom's flags, so that a user's setting of the same option wins
        assertTrue(line.indexOf("-Dfrom.flags.file=1") < line.indexOf("-Xmx123m"), line);
        // stderr is a file here, so progress bars are told to write plain lines
        assertTrue(line.contains("-Djsteer.stderr.tty=false"), line);
        assertTrue(line.endsWith("io.jsteer.cli.Main run --prompt a b"), line);
    }
}
