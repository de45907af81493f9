package io.jsteer.bench.peers;

import io.jsteer.bench.ProcessMemory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Resident memory of one engine running one model, alone in a fresh JVM: the peak RSS
 * ({@code VmHWM}) of a process that loads the model, prefills an N-token prompt and decodes T
 * tokens, as a user's process would. The benchmarks time engines side by side in one process, where
 * one engine's memory cannot be told from another's; this child process holds only one.
 *
 * <p>{@code java <flags> -cp <class path> io.jsteer.bench.peers.RssProbe ENGINE MODEL THREADS PROMPT TOKENS VOCAB}
 * with ENGINE {@code jsteer} (MODEL: any file jsteer reads), {@code jlama-f32|jlama-bf16|jlama-q4}
 * or {@code djl} (MODEL: the HF directory); it prints {@code peak_rss_bytes=N}.
 */
public final class RssProbe {

    private RssProbe() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("jsteer: error: usage: RssProbe ENGINE MODEL THREADS PROMPT TOKENS VOCAB");
            System.exit(2);
        }
        Path model = Path.of(args[1]);
        int threads = Integer.parseInt(args[2]), promptTokens = Integer.parseInt(args[3]), tokens = Integer.parseInt(args[4]);
        int vocab = Integer.parseInt(args[5]);
        try (Peer p = open(args[0], model, threads, promptTokens + tokens + 8)) {
            p.greedy(PeerBench.prompt(promptTokens, vocab), tokens);
        }
        System.out.println("peak_rss_bytes=" + ProcessMemory.self().peakBytes());
    }

    private static Peer open(String engine, Path model, int threads, int context) {
        return switch (engine) {
            case "jsteer" -> new JsteerPeer(model, threads, context, -1);
            case "djl" -> new DjlLlamaPeer(model, threads, context);
            default -> {
                if (!engine.startsWith("jlama-")) {
                    throw new IllegalArgumentException("unknown engine '" + engine + "' (jsteer, jlama-f32|bf16|q4, djl)");
                }
                yield new JlamaPeer(model, JlamaPeer.Format.parse(engine.substring("jlama-".length())), threads);
            }
        };
    }

    /**
     * Runs the probe in a child JVM with this JVM's flags and class path and returns the peak RSS in
     * bytes; the child's stderr is passed on.
     */
    public static long measure(String engine, Path model, int threads, int promptTokens, int tokens, int vocab) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RssProbe.class.getName(), engine, model.toString(),
                String.valueOf(threads), String.valueOf(promptTokens), String.valueOf(tokens), String.valueOf(vocab)));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int rc = p.waitFor();
        return parse(out, rc, engine + " on " + model);
    }

    static long parse(String out, int rc, String what) {
        for (String line : out.lines().toList()) {
            if (line.startsWith("peak_rss_bytes=")) {
                long v = Long.parseLong(line.substring("peak_rss_bytes=".length()).trim());
                if (rc == 0 && v > 0) {
                    return v;
                }
            }
        }
        throw new IllegalStateException(String.format(Locale.ROOT, "the memory probe of %s exited with %d and printed no peak RSS: %s", what,
                rc, out.strip()));
    }
}
