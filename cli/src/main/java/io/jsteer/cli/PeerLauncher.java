package io.jsteer.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs {@code io.jsteer.bench.peers.PeerBench} in a child JVM. Jlama and DJL (with libtorch's
 * 110 MB native jar) are optional dependencies of the bench module, so they stay off the CLI's class
 * path; the child gets bench/target/jsteer-bench.jar plus bench/target/peers-lib/*, and the
 * launcher's JVM flags (Vector API, native access) so that jsteer and Jlama run as they do here.
 * Its stdout is the table, its stderr the progress; its exit code is passed on.
 */
final class PeerLauncher {

    private PeerLauncher() {}

    static int run(List<String> shapes, List<String> peers, List<String> jlamaFormats, int threads, int tokens, List<Integer> promptTokens,
                   int repeats, boolean steering, boolean json, String[] jvmFlags) throws Exception {
        Path bench = ModelLocator.home().resolve("bench").resolve("target");
        Path jar = bench.resolve("jsteer-bench.jar");
        Path lib = bench.resolve("peers-lib");
        if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
            throw new IllegalStateException("--against jlama/djl needs " + jar + " and " + lib
                    + " (build them with ./mvnw -B -DskipTests package)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(Arrays.asList(jvmFlags));
        // DJL and Jlama log through slf4j-simple: warnings only, on stderr
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(jar + java.io.File.pathSeparator + lib.resolve("*"));
        cmd.add("io.jsteer.bench.peers.PeerBench");
        cmd.addAll(List.of("--shape", String.join(",", shapes), "--against", String.join(",", peers),
                "--jlama-formats", String.join(",", jlamaFormats), "--threads", String.valueOf(threads),
                "--tokens", String.valueOf(tokens), "--prompt-tokens",
                promptTokens.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")),
                "--repeats", String.valueOf(repeats), "--steering", String.valueOf(steering)));
        if (json) {
            cmd.add("--json");
        }
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }
}
