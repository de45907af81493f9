package io.jsteer.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's {@code llama-bench} as a peer in {@code jsteer bench}: an existing binary the user
 * names (jsteer never builds or downloads it), run on the very same model file with the same
 * thread count, prompt length and generated tokens; its CSV output gives prompt and generation
 * tok/s.
 */
record LlamaBenchPeer(Path binary) {

    /** Prefill (n_prompt = promptTokens) and decode (n_gen = genTokens) tok/s, llama-bench's averages. */
    record Result(double prefill, double decode) {}

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

    Result run(Path model, int threads, int promptTokens, int genTokens, int repeats) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-m", model.toString(), "-t", String.valueOf(threads),
                "-p", String.valueOf(promptTokens), "-n", String.valueOf(genTokens), "-r", String.valueOf(repeats), "-o", "csv");
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("--against llamacpp: " + binary + " failed on " + model + " (exit " + p.exitValue()
                    + "); run it by hand: " + String.join(" ", pb.command()));
        }
        return parseCsv(out, model);
    }

    /** Rows of llama-bench's CSV: the one with n_prompt > 0 is prefill, the one with n_gen > 0 decode. */
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
        double prefill = Double.NaN, decode = Double.NaN;
        for (String line : lines.subList(1, lines.size())) {
            List<String> c = columns(line);
            double ts = Double.parseDouble(c.get(avg));
            if (Long.parseLong(c.get(nPrompt)) > 0) {
                prefill = ts;
            } else if (Long.parseLong(c.get(nGen)) > 0) {
                decode = ts;
            }
        }
        return new Result(prefill, decode);
    }

    private static List<String> columns(String line) {
        return Arrays.stream(line.split(",", -1)).map(s -> s.strip().replaceAll("^\"|\"$", "")).toList();
    }
}
