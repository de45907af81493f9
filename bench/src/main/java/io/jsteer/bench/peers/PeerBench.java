package io.jsteer.bench.peers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.bench.BenchModels;
import io.jsteer.tensor.VectorSupport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * jsteer side by side with the JVM peers on the very same random weights, in one process: jsteer
 * on the GGUF, Jlama and the DJL/PyTorch port on the same weights written as safetensors +
 * config.json. Before a peer is timed its greedy tokens after a short prompt are compared with
 * jsteer's F32 ones: an F32 peer that disagrees is an error (the comparison would be of two
 * different functions); a quantized peer's agreement is reported, since its rounding differs from
 * jsteer's by design. Each engine is loaded, checked, warmed up, timed and closed before the next,
 * so only one holds its weights at a time.
 *
 * <p>{@code jsteer bench --against jlama,djl} runs this class in a child JVM (the peers' jars live
 * only in bench/target/peers-lib); it can also be run directly:
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/jsteer-bench.jar:bench/target/peers-lib/*
 * io.jsteer.bench.peers.PeerBench --shape llama2-110m --against jlama,djl --threads 2}.
 */
public final class PeerBench {

    /** Prompt of the greedy check and the number of tokens compared. */
    static final int CHECK_PROMPT = 8, CHECK_TOKENS = 16;

    /**
     * One line of the table; ratios are jsteer's figure over this engine's (same shape and dtype class).
     *
     * @param prefill         tok/s at each of the options' prompt lengths
     * @param prefillRatio    jsteer's prefill ÷ this engine's, at each prompt length
     * @param ttftMs          time to the first token after the first prompt length
     * @param peakRssMiB      peak resident memory of a process running this engine alone ({@link RssProbe}); NaN: not measured
     * @param weightBytesPerToken weight bytes one decoded token reads in jsteer's file of this row (0: unknown)
     * @param rooflinePercent decode × weight bytes per token ÷ the run's measured read bandwidth, in percent
     */
    public record Row(String shape, String dtype, String engine, String weights, String check, List<Double> prefill, double decode,
                      List<Double> prefillRatio, double decodeRatio, double ttftMs, double peakRssMiB, long weightBytesPerToken,
                      double rooflinePercent) {

        Row withMemory(long bytes, double rssMiB) {
            return new Row(shape, dtype, engine, weights, check, prefill, decode, prefillRatio, decodeRatio, ttftMs, rssMiB, bytes,
                    rooflinePercent);
        }

        Row withRoofline(io.jsteer.bench.MemoryBandwidth bw) {
            double share = weightBytesPerToken <= 0 ? Double.NaN
                    : 100 * io.jsteer.bench.WeightTraffic.rooflineShare(weightBytesPerToken, decode, bw.roofline());
            return new Row(shape, dtype, engine, weights, check, prefill, decode, prefillRatio, decodeRatio, ttftMs, peakRssMiB,
                    weightBytesPerToken, share);
        }
    }

    /** The table and the bandwidth its roofline shares were computed with (measured at the start of the run). */
    public record Table(List<Row> rows, io.jsteer.bench.MemoryBandwidth bandwidth) {}

    /** The options (the CLI's names). */
    public record Options(List<String> shapes, List<String> peers, List<String> jlamaFormats, int threads, int tokens,
                          List<Integer> promptTokens, int repeats, boolean steering, boolean json) {

        public Options {
            if (promptTokens.isEmpty() || promptTokens.stream().anyMatch(p -> p < 1)) {
                throw new IllegalArgumentException("--prompt-tokens must be one or more lengths of at least 1, got " + promptTokens);
            }
            if (threads < 1 || tokens < 1 || repeats < 1) {
                throw new IllegalArgumentException("--threads, --tokens, --prompt-tokens and --repeats must be at least 1");
            }
            for (String p : peers) {
                if (!p.equals("jlama") && !p.equals("djl")) {
                    throw new IllegalArgumentException("unknown peer '" + p + "' (jlama, djl)");
                }
            }
            jlamaFormats.forEach(JlamaPeer.Format::parse);
        }
    }

    private PeerBench() {}

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("jsteer: error: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Table t = run(o);
            if (o.json()) {
                System.out.println(toJson(o, t));
            } else {
                print(o, t);
            }
        } catch (Exception e) {
            System.err.println("jsteer: error: " + e.getMessage());
            System.exit(1);
        }
    }

    static Options parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        boolean json = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--json")) {
                json = true;
            } else if (args[i].startsWith("--") && i + 1 < args.length) {
                m.put(args[i], args[++i]);
            } else {
                throw new IllegalArgumentException("unexpected argument '" + args[i] + "'");
            }
        }
        for (String k : m.keySet()) {
            if (!List.of("--shape", "--against", "--jlama-formats", "--threads", "--tokens", "--prompt-tokens", "--repeats",
                    "--steering").contains(k)) {
                throw new IllegalArgumentException("unknown option " + k);
            }
        }
        return new Options(Arrays.stream(m.getOrDefault("--shape", "llama2-110m").split(",")).map(String::trim)
                        .filter(x -> !x.isEmpty()).toList(), split(m.getOrDefault("--against", "jlama,djl")),
                split(m.getOrDefault("--jlama-formats", "f32,bf16,q4")), intArg(m, "--threads", 2), intArg(m, "--tokens", 64),
                intList(m, "--prompt-tokens", "128,512"), intArg(m, "--repeats", 3),
                Boolean.parseBoolean(m.getOrDefault("--steering", "true")), json);
    }

    private static List<String> split(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(x -> x.toLowerCase(Locale.ROOT)).toList();
    }

    private static List<Integer> intList(Map<String, String> m, String key, String dflt) {
        List<Integer> out = new ArrayList<>();
        for (String v : split(m.getOrDefault(key, dflt))) {
            try {
                out.add(Integer.parseInt(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(key + " must be comma-separated integers, got '" + m.get(key) + "'");
            }
        }
        return out;
    }

    private static int intArg(Map<String, String> m, String key, int dflt) {
        String v = m.get(key);
        try {
            return v == null ? dflt : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }

    /**
     * The whole comparison. Per shape: jsteer F32 gives the reference tokens and logits; with and
     * without the steering vector it is timed alternately on one engine. Each peer is then loaded next to
     * the jsteer engine of the matching format, checked, and the two are timed alternately (repeat by
     * repeat), so that both see the same load on a shared machine; the ratio comes from that pairing.
     */
    public static Table run(Options o) throws IOException {
        List<Row> rows = new ArrayList<>();
        int maxPrompt = o.promptTokens().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int context = Math.max(maxPrompt, CHECK_PROMPT + CHECK_TOKENS) + o.tokens() + 8;
        io.jsteer.bench.MemoryBandwidth bandwidth;
        try (io.jsteer.tensor.Parallel par = new io.jsteer.tensor.Parallel(o.threads())) {
            bandwidth = io.jsteer.bench.MemoryBandwidth.measure(par);
        }
        System.err.println("jsteer bench: memory bandwidth: " + bandwidth);
        for (String shape : o.shapes()) {
            Path gguf = BenchModels.ensure(shape, "f32");
            Path hf = o.peers().isEmpty() ? null : PeerModels.ensureHf(shape);
            try (JsteerPeer j = new JsteerPeer(gguf, o.threads(), context, o.steering() ? 0 : -1)) {
                int vocab = j.config().vocabSize();
                int[] reference = j.greedy(prompt(CHECK_PROMPT, vocab), CHECK_TOKENS);
                float[] referenceLogits = j.lastLogits();
                Peer plain = j.view(false);
                if (o.steering()) {
                    Peer steered = j.view(true);
                    Timing[] t = timeAlternately(o, vocab, plain, steered);
                    long bytes = j.bytesPerToken();
                    double rss = rss(o, "jsteer", gguf, vocab);
                    rows.add(row(shape, "f32", plain, "reference", t[0], t[0], bytes, rss));
                    rows.add(row(shape, "f32", steered, "steered: resid_post[0] += 4·v, same engine", t[1], t[0], bytes, Double.NaN));
                } else {
                    Timing t = timeAlternately(o, vocab, plain)[0];
                    rows.add(row(shape, "f32", plain, "reference", t, t, j.bytesPerToken(), rss(o, "jsteer", gguf, vocab)));
                }
                for (String peer : o.peers()) {
                    if (peer.equals("djl")) {
                        rows.addAll(pair(shape, "f32", plain, j.bytesPerToken(), Double.NaN, () -> new DjlLlamaPeer(hf, o.threads(), context),
                                () -> rss(o, "djl", hf, vocab), reference, referenceLogits, true, o, vocab));
                        continue;
                    }
                    for (String f : o.jlamaFormats()) {
                        JlamaPeer.Format format = JlamaPeer.Format.parse(f);
                        Supplier<Peer> jlama = () -> new JlamaPeer(hf, format, o.threads());
                        java.util.function.DoubleSupplier jlamaRss = () -> rss(o, "jlama-" + format.name().toLowerCase(Locale.ROOT), hf, vocab);
                        if (format == JlamaPeer.Format.F32) {
                            rows.addAll(pair(shape, "f32", plain, j.bytesPerToken(), Double.NaN, jlama, jlamaRss, reference, referenceLogits,
                                    true, o, vocab));
                            continue;
                        }
                        // against jsteer in the nearest format of its own (BF16; GGML Q4_0: blocks of 32, f16 scale)
                        String dtype = format == JlamaPeer.Format.BF16 ? "bf16" : "q4_0";
                        Path qFile = BenchModels.ensure(shape, dtype);
                        try (JsteerPeer q = new JsteerPeer(qFile, o.threads(), context, -1)) {
                            rows.addAll(pair(shape, dtype, q, q.bytesPerToken(), rss(o, "jsteer", qFile, vocab), jlama, jlamaRss, reference,
                                    referenceLogits, false, o, vocab));
                        }
                    }
                }
            }
        }
        return new Table(rows.stream().map(r -> r.withRoofline(bandwidth)).toList(), bandwidth);
    }

    /**
     * Tolerance of the F32 logit check, relative to the largest |logit|: float32 engines that sum in a
     * different order differ by ~1e-6 of it; a wrong layout, RoPE or norm differs by far more.
     */
    static final double LOGIT_TOLERANCE = 1e-3;

    /**
     * Loads a peer, checks it against the reference, times it alternately with {@code jsteer}: two rows.
     *
     * @param bytes      weight bytes per decoded token of jsteer's file (the peer's roofline share is computed with them too)
     * @param jsteerRss  jsteer's peak RSS for its row, or NaN (already on another row)
     * @param peerRss    measures the peer's peak RSS in a process of its own
     */
    private static List<Row> pair(String shape, String dtype, Peer jsteer, long bytes, double jsteerRss, Supplier<Peer> open,
                                  java.util.function.DoubleSupplier peerRss, int[] reference, float[] referenceLogits, boolean exact,
                                  Options o, int vocab) {
        System.err.println("jsteer bench: " + shape + " " + dtype + ": loading a peer ...");
        try {
            List<Row> rows = checkedPair(shape, dtype, jsteer, open, reference, referenceLogits, exact, o, vocab);
            Row j = rows.get(0), p = rows.get(1);
            return List.of(j.withMemory(bytes, jsteerRss), p.withMemory(bytes, peerRss.getAsDouble()));
        } catch (RuntimeException | LinkageError e) {
            // one peer that cannot run or computes another function must not cost the rest of the table
            // a bare exception from inside a peer says little: name where it came from
            String why = e.getMessage() != null ? e.getMessage()
                    : e + (e.getStackTrace().length > 0 ? " at " + e.getStackTrace()[0] : "");
            System.err.println("jsteer bench: " + shape + " " + dtype + ": peer not timed: " + why);
            return List.of(new Row(shape, dtype, "(peer)", "-", "not timed: " + why, List.of(), Double.NaN, List.of(), Double.NaN,
                    Double.NaN, Double.NaN, 0, Double.NaN));
        }
    }

    private static List<Row> checkedPair(String shape, String dtype, Peer jsteer, Supplier<Peer> open, int[] reference,
                                         float[] referenceLogits, boolean exact, Options o, int vocab) {
        try (Peer p = open.get()) {
            int[] got = p.greedy(prompt(CHECK_PROMPT, vocab), CHECK_TOKENS);
            double rel = relativeDifference(referenceLogits, p.lastLogits());
            String check;
            if (exact) {
                // greedy tokens alone are weak on tied random models (they tend to echo the last token), so the
                // logits of the last step are compared too
                boolean explained = p.knownDeviation() != null && Arrays.equals(got, reference);
                if (!Arrays.equals(got, reference) || !(rel < LOGIT_TOLERANCE || explained)) {
                    throw new IllegalStateException(p.name() + " on " + shape + " " + dtype + ": greedy tokens " + Arrays.toString(got)
                            + " vs jsteer's " + Arrays.toString(reference) + ", last logits differ by " + rel
                            + " of their range: not the same model, not timed");
                }
                check = String.format(Locale.ROOT, "greedy = jsteer f32 (%d/%d), logits within %.1e", CHECK_TOKENS, CHECK_TOKENS, rel)
                        + (rel < LOGIT_TOLERANCE ? "" : " (" + p.knownDeviation() + ")");
            } else {
                check = String.format(Locale.ROOT, "vs jsteer f32: greedy %s, logits within %.1e", agreement(reference, got), rel);
            }
            String ownCheck = "paired with " + p.name();
            if (!exact) {
                int[] own = jsteer.greedy(prompt(CHECK_PROMPT, vocab), CHECK_TOKENS);
                ownCheck += String.format(Locale.ROOT, "; vs jsteer f32: greedy %s, logits within %.1e", agreement(reference, own),
                        relativeDifference(referenceLogits, jsteer.lastLogits()));
            }
            Timing[] t = timeAlternately(o, vocab, jsteer, p);
            return List.of(row(shape, dtype, jsteer, ownCheck, t[0], t[0], 0, Double.NaN), row(shape, dtype, p, check, t[1], t[0], 0, Double.NaN));
        }
    }
    /** max |a−b| / max |a|. */
    static double relativeDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(a[i]));
        }
        return diff / scale;
    }

    /** Length of the common prefix, as "k/n tokens". */
    static String agreement(int[] a, int[] b) {
        int k = 0;
        while (k < a.length && k < b.length && a[k] == b[k]) {
            k++;
        }
        return k + "/" + a.length + " tokens";
    }

    private static Row row(String shape, String dtype, Peer p, String check, Timing t, Timing jsteer, long bytes, double rssMiB) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < t.prefill().size(); i++) {
            ratios.add(jsteer.prefill().get(i) / t.prefill().get(i));
        }
        Row r = new Row(shape, dtype, p.name(), p.weights(), check, t.prefill(), t.decode(), ratios, jsteer.decode() / t.decode(),
                t.ttftMs(), rssMiB, bytes, Double.NaN);
        System.err.printf(Locale.ROOT, "jsteer bench: %s %s %s: prefill %s tok/s, decode %.2f tok/s (%s)%n", shape, dtype, p.name(),
                t.prefill(), t.decode(), check);
        return r;
    }

    /** Peak RSS in MiB of {@code engine} alone on {@code model} in a child JVM; NaN (and a line on stderr) when the probe fails. */
    static double rss(Options o, String engine, Path model, int vocab) {
        System.err.println("jsteer bench: resident memory of " + engine + " alone on " + model.getFileName() + " (a child JVM) ...");
        try {
            return RssProbe.measure(engine, model, o.threads(), o.promptTokens().getFirst(), o.tokens(), vocab) / 1048576.0;
        } catch (IOException | RuntimeException e) {
            System.err.println("jsteer bench: resident memory of " + engine + " not measured: " + e.getMessage());
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** Deterministic prompt ids, as the other benchmarks use. */
    static int[] prompt(int n, int vocab) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = (int) ((i * 7919L + 13) % vocab);
        }
        return p;
    }

    /** Medians; {@code prefill} per prompt length; {@code ttftMs}: the prefill of the first prompt, which yields the first token. */
    record Timing(List<Double> prefill, double decode, double ttftMs) {}

    /**
     * Per engine, the median over repeats of: an N-token prompt prefilled from an empty cache, then T
     * greedy tokens decoded. The engines take turns within each repeat.
     */
    static Timing[] timeAlternately(Options o, int vocab, Peer... engines) {
        List<Integer> lengths = o.promptTokens();
        int np = lengths.size();
        int[][] prompts = new int[np][];
        for (int i = 0; i < np; i++) {
            prompts[i] = prompt(lengths.get(i), vocab);
        }
        for (Peer p : engines) { // warm-up: JIT, allocator, page cache
            for (int[] prompt : prompts) {
                p.prefill(prompt);
            }
            int next = p.prefill(prompts[0]);
            for (int i = 0; i < 8; i++) {
                next = p.decode(next, prompts[0].length + i);
            }
        }
        double[][][] pre = new double[engines.length][np][o.repeats()];
        double[][] dec = new double[engines.length][o.repeats()], ttft = new double[engines.length][o.repeats()];
        for (int r = 0; r < o.repeats(); r++) {
            for (int e = 0; e < engines.length; e++) {
                Peer p = engines[e];
                // the longer prompts first, then the first one, whose first token and decode are timed
                for (int i = np - 1; i >= 0; i--) {
                    long t0 = System.nanoTime();
                    int next = p.prefill(prompts[i]);
                    long t1 = System.nanoTime();
                    pre[e][i][r] = prompts[i].length * 1e9 / (t1 - t0);
                    if (i == 0) {
                        ttft[e][r] = (t1 - t0) / 1e6;
                        for (int k = 0; k < o.tokens(); k++) {
                            next = p.decode(next, prompts[0].length + k);
                        }
                        dec[e][r] = o.tokens() * 1e9 / (System.nanoTime() - t1);
                    }
                }
            }
        }
        Timing[] out = new Timing[engines.length];
        for (int e = 0; e < engines.length; e++) {
            List<Double> p = new ArrayList<>();
            for (int i = 0; i < np; i++) {
                p.add(median(pre[e][i]));
            }
            out[e] = new Timing(p, median(dec[e]), median(ttft[e]));
        }
        return out;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static void print(Options o, Table table) {
        List<Row> rows = table.rows();
        System.out.printf(Locale.ROOT, "jsteer bench vs JVM peers: %s, %d threads, prefill of %s tokens, %d decoded tokens, median of %d%n",
                VectorSupport.describe(), o.threads(), o.promptTokens(), o.tokens(), o.repeats());
        System.out.println("memory bandwidth (this run): " + table.bandwidth());
        StringBuilder head = new StringBuilder("| shape | dtype | engine | decode tok/s");
        StringBuilder rule = new StringBuilder("|---|---|---|---:");
        for (int p : o.promptTokens()) {
            head.append(" | prefill ").append(p).append(" tok/s");
            rule.append("|---:");
        }
        head.append(" | TTFT ").append(o.promptTokens().getFirst()).append(" ms | peak RSS MiB | decode % of roofline | jsteer ÷ peer: decode");
        rule.append("|---:|---:|---:|---:");
        for (int p : o.promptTokens()) {
            head.append(" | jsteer ÷ peer: prefill ").append(p);
            rule.append("|---:");
        }
        System.out.println(head.append(" | weights; check |"));
        System.out.println(rule.append("|---|"));
        for (Row r : rows) {
            StringBuilder b = new StringBuilder();
            b.append("| ").append(r.shape()).append(" | ").append(r.dtype()).append(" | ").append(r.engine()).append(" | ").append(fmt(r.decode()));
            for (int i = 0; i < o.promptTokens().size(); i++) {
                b.append(" | ").append(i < r.prefill().size() ? fmt(r.prefill().get(i)) : "–");
            }
            b.append(" | ").append(fmt(r.ttftMs())).append(" | ").append(fmt(r.peakRssMiB())).append(" | ")
                    .append(Double.isFinite(r.rooflinePercent()) ? fmt(r.rooflinePercent()) + " %" : "–").append(" | ")
                    .append(fmt(r.decodeRatio()));
            for (int i = 0; i < o.promptTokens().size(); i++) {
                b.append(" | ").append(i < r.prefillRatio().size() ? fmt(r.prefillRatio().get(i)) : "–");
            }
            System.out.println(b.append(" | ").append(r.weights()).append("; ").append(r.check()).append(" |"));
        }
        System.out.println("(no batch rows here: Jlama 0.8.4 decodes one sequence per KV buffer, and the DJL port decodes one sequence;"
                + " jsteer's own batched decode is in jsteer bench --batch)");
    }

    private static String fmt(double v) {
        return !Double.isFinite(v) ? "–" : Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static String toJson(Options o, Table table) throws IOException {
        List<Row> rows = table.rows();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("vector", VectorSupport.describe());
        doc.put("cores", Runtime.getRuntime().availableProcessors());
        doc.put("java", Runtime.version().toString());
        doc.put("threads", o.threads());
        doc.put("prompt_tokens", o.promptTokens());
        doc.put("bandwidth", table.bandwidth());
        doc.put("decoded_tokens", o.tokens());
        doc.put("repeats", o.repeats());
        doc.put("rows", rows);
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc);
    }
}
