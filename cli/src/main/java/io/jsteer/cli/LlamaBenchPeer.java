package io.jsteer.cli;

import io.jsteer.bench.ProcessMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * llama.cpp's {@code llama-bench} as a peer in {@code jsteer bench}: an existing binary the user
 * names (jsteer never builds or downloads it), run on the very same model file with the same
 * thread count, prompt lengths and generated tokens; its CSV output gives prompt and generation
 * tok/s. Its peak resident memory is sampled from {@code /proc} while it runs. Multi-sequence decode
 * is llama.cpp's {@code llama-batched-bench}, looked for next to {@code llama-bench}.
 */
record LlamaBenchPeer(Path binary) {

    /**
     * Prefill tok/s per prompt length (n_prompt), decode tok/s (n_gen), llama-bench's averages, and the
     * process's peak RSS (−1 when it exited before the first sample).
     */
    record Result(Map<Integer, Double> prefill, double decode, long peakRssBytes) {}

    static LlamaBenchPeer parse(String spec) {
        if (!spec.startsWith("llamacpp=")) {
            throw new IllegalArgumentException("--against " + spec + ": expected llamacpp=PATH (an existing llama-bench binary)");
        }
        Path bin = Path.of(spec.substring("llamacpp=".length()));
        if (!Files.isRegularFile(bin) || !Files.isExecutable(bin)) {
            throw new IllegalArgumentException("--against " + spec + ": " + bin + " is not an executable file (llama.cpp's llama-bench)");
        }
        return new LlamaBenchPeer(bin);
    }

    Result run(Path model, int threads, List<Integer> promptTokens, int genTokens, int repeats) throws IOException, InterruptedException {
        String prompts = promptTokens.stream().map(String::valueOf).collect(Collectors.joining(","));
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-m", model.toString(), "-t", String.valueOf(threads),
                "-p", prompts, "-n", String.valueOf(genTokens), "-r", String.valueOf(repeats), "-o", "csv");
        Execution e = execute(pb, "--against llamacpp");
        Result r = parseCsv(e.stdout(), model);
        return new Result(r.prefill(), r.decode(), e.peakRss().orElse(-1));
    }

    /** The peer's llama-batched-bench (next to llama-bench), or null when there is none. */
    Path batchedBench() {
        Path b = binary.resolveSibling("llama-batched-bench");
        return Files.isExecutable(b) ? b : null;
    }

    /**
     * Aggregate decode tok/s of {@code sequences[i]} sequences decoding together, each after a
     * one-token prompt, {@code genTokens} steps ({@code llama-batched-bench -npp 1 -ntg T -npl B,...}).
     */
    Map<Integer, Double> runBatched(Path model, int threads, List<Integer> sequences, int genTokens) throws IOException, InterruptedException {
        Path bin = batchedBench();
        if (bin == null) {
            throw new IllegalStateException("no llama-batched-bench next to " + binary + ": llama.cpp's batched decode is not timed");
        }
        int maxB = sequences.stream().mapToInt(Integer::intValue).max().orElse(1);
        String npl = sequences.stream().map(String::valueOf).collect(Collectors.joining(","));
        ProcessBuilder pb = new ProcessBuilder(bin.toString(), "-m", model.toString(), "-t", String.valueOf(threads),
                "-c", String.valueOf(maxB * (genTokens + 1) + 16), "-npp", "1", "-ntg", String.valueOf(genTokens), "-npl", npl,
                "--output-format", "jsonl");
        return parseBatchedJsonl(execute(pb, "--against llamacpp (llama-batched-bench)").stdout(), model);
    }

    private record Execution(String stdout, OptionalLong peakRss) {}

    private static Execution execute(ProcessBuilder pb, String who) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jsteer-llamacpp", ".out");
        try {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.redirectOutput(out.toFile());
            Process p = pb.start();
            OptionalLong peak = ProcessMemory.peakOf(p, 20);
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(who + ": exit " + p.exitValue() + "; run it by hand: " + String.join(" ", pb.command()));
            }
            return new Execution(Files.readString(out, StandardCharsets.UTF_8), peak);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Rows of llama-bench's CSV: those with n_prompt > 0 are prefill (one per prompt length), the one with n_gen > 0 decode. */
    static Result parseCsv(String csv, Path model) {
        List<String> lines = csv.lines().filter(l -> !l.isBlank()).toList();
        if (lines.size() < 3) {
            throw new IllegalStateException("llama-bench printed no results for " + model + ":\n" + csv);
        }
        List<String> header = columns(lines.get(0));
        int nPrompt = header.indexOf("n_prompt"), nGen = header.indexOf("n_gen"), avg = header.indexOf("avg_ts");
        if (nPrompt < 0 || nGen < 0 || avg < 0) {
            throw new IllegalStateException("llama-bench's CSV lacks n_prompt/n_gen/avg_ts columns: " + lines.get(0));
        }
        Map<Integer, Double> prefill = new LinkedHashMap<>();
        double decode = Double.NaN;
        for (String line : lines.subList(1, lines.size())) {
            List<String> c = columns(line);
            double ts = Double.parseDouble(c.get(avg));
            int n = Integer.parseInt(c.get(nPrompt));
            if (n > 0) {
                prefill.put(n, ts);
            } else if (Long.parseLong(c.get(nGen)) > 0) {
                decode = ts;
            }
        }
        return new Result(prefill, decode, -1);
    }

    /** llama-batched-bench's JSON lines: {@code pl} (sequences) → {@code speed_tg} (aggregate decode tok/s). */
    static Map<Integer, Double> parseBatchedJsonl(String jsonl, Path model) {
        Map<Integer, Double> out = new LinkedHashMap<>();
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        for (String line : jsonl.lines().filter(l -> l.startsWith("{")).toList()) {
            try {
                var node = om.readTree(line);
                if (!node.has("pl") || !node.has("speed_tg")) {
                    throw new IllegalStateException("llama-batched-bench's line lacks pl/speed_tg: " + line);
                }
                out.put(node.get("pl").asInt(), node.get("speed_tg").asDouble());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("llama-batched-bench printed a line that is not JSON for " + model + ": " + line);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("llama-batched-bench printed no results for " + model + ":\n" + jsonl);
        }
        return out;
    }

    private static List<String> columns(String line) {
        return Arrays.stream(line.split(",", -1)).map(s -> s.strip().replaceAll("^\"|\"$", "")).toList();
    }
}
