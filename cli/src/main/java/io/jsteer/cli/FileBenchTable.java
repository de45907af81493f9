package io.jsteer.cli;

import io.jsteer.bench.MemoryBandwidth;
import io.jsteer.bench.ModelBenchState;
import io.jsteer.bench.SteeringOverhead;
import io.jsteer.bench.SteeringSetup;
import io.jsteer.bench.WeightTraffic;
import io.jsteer.model.KvCache;
import io.jsteer.model.Sampler;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.VectorSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code jsteer bench --model FILE,...}: one Markdown table for the files a user has. Per file,
 * jsteer's decode tok/s, prefill tok/s at each prompt length, time to first token (the first prompt
 * length: prefill + argmax), the resident memory of this process with the model loaded and run,
 * and decode's share of this machine's memory-bandwidth roofline (weight bytes per token × tok/s ÷
 * the read bandwidth measured at the start of the run); optionally llama.cpp's llama-bench on the same
 * file between jsteer's repeats (same columns; its RSS is the peak of its own process), batched
 * decode rows (jsteer and llama-batched-bench) and the steering-overhead rows.
 */
final class FileBenchTable {

    record Config(List<Path> models, int threads, int tokens, List<Integer> prompts, int repeats, List<Integer> batches,
                  LlamaBenchPeer peer, boolean steeringOverhead, int overheadRepeats) {}

    private final Config c;
    private final List<String> rows = new ArrayList<>();

    FileBenchTable(Config c) {
        this.c = c;
    }

    int run() throws IOException, InterruptedException {
        MemoryBandwidth bw;
        try (Parallel par = new Parallel(c.threads())) {
            bw = MemoryBandwidth.measure(par);
        }
        String loadBefore = loadAverage();
        System.out.printf(Locale.ROOT, "jsteer bench: %s, %d threads, %d decoded tokens, prefill of %s tokens, median of %d%n",
                VectorSupport.describe(), c.threads(), c.tokens(), c.prompts(), c.repeats());
        System.out.printf(Locale.ROOT, "memory bandwidth (this run): %s%n", bw);
        System.out.printf(Locale.ROOT, "load average at start: %s%n", loadBefore);
        StringBuilder head = new StringBuilder("| file | weights read per token | engine | decode tok/s");
        StringBuilder rule = new StringBuilder("|---|---:|---|---:");
        for (int p : c.prompts()) {
            head.append(" | prefill ").append(p).append(" tok/s");
            rule.append("|---:");
        }
        head.append(" | TTFT ").append(c.prompts().getFirst()).append(" ms | peak RSS MiB | decode % of roofline | ratio |");
        rule.append("|---:|---:|---:|---|");
        rows.add(head.toString());
        rows.add(rule.toString());
        for (Path model : c.models()) {
            file(model, bw);
        }
        System.out.println();
        rows.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "%nload average at end: %s. ratio: jsteer ÷ llama.cpp (decode, then prefill at each length; above 1: jsteer"
                + " faster); steering rows: decode speed and TTFT against the unsteered setup of the same interleaved run.%n", loadAverage());
        return 0;
    }

    private void file(Path model, MemoryBandwidth bw) throws IOException, InterruptedException {
        int maxPrompt = c.prompts().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int n = c.repeats(), np = c.prompts().size();
        double[] decode = new double[n], ttft = new double[n];
        double[][] prefill = new double[np][n], peerPrefill = new double[np][n];
        double[] peerDecode = new double[n];
        long peerRss = -1;
        List<Integer> bs = c.batches() == null ? List.of() : c.batches();
        double[][] batched = new double[bs.size()][n], peerBatched = new double[bs.size()][n];
        boolean peerBatches = c.peer() != null && !bs.isEmpty() && c.peer().batchedBench() != null;
        if (c.peer() != null && !bs.isEmpty() && !peerBatches) {
            System.err.println("jsteer bench: no llama-batched-bench next to " + c.peer().binary() + ": llama.cpp's batched rows are left out");
        }
        String types, name = model.getFileName().toString();
        long bytesPerToken;
        int vocab;
        List<SteeringOverhead.Result> overhead = List.of();
        // the steering rows decode after the first prompt, on caches of their own
        int context = Math.max(Math.max(c.tokens(), maxPrompt), c.prompts().getFirst() + c.tokens()) + 8;
        try (ModelBenchState s = new ModelBenchState(model, c.threads(), context)) {
            types = s.file.tensors().values().stream().filter(t -> t.rank() == 2).map(t -> t.dtype().label())
                    .distinct().sorted().collect(Collectors.joining("+"));
            bytesPerToken = WeightTraffic.bytesPerToken(s.config, s.weights);
            System.err.printf(Locale.ROOT, "jsteer bench: %s (%s): warming up ...%n", name, types);
            decode(s, Math.min(16, c.tokens()));
            for (int p : c.prompts()) {
                prefill(s, p);
            }
            for (int r = 0; r < n; r++) {
                // alternate the engines so that both see the same machine state
                decode[r] = decode(s, c.tokens());
                for (int i = 0; i < np; i++) {
                    long t = prefill(s, c.prompts().get(i));
                    prefill[i][r] = c.prompts().get(i) * 1e9 / t;
                    if (i == 0) {
                        ttft[r] = t / 1e6;
                    }
                }
                for (int i = 0; i < bs.size(); i++) {
                    batched[i][r] = batch(s, bs.get(i), c.tokens());
                }
                if (c.peer() != null) {
                    LlamaBenchPeer.Result p = c.peer().run(model, c.threads(), c.prompts(), c.tokens(), 1);
                    peerDecode[r] = p.decode();
                    for (int i = 0; i < np; i++) {
                        peerPrefill[i][r] = p.prefill().getOrDefault(c.prompts().get(i), Double.NaN);
                    }
                    peerRss = Math.max(peerRss, p.peakRssBytes());
                    if (peerBatches) {
                        Map<Integer, Double> agg = c.peer().runBatched(model, c.threads(), bs, c.tokens());
                        for (int i = 0; i < bs.size(); i++) {
                            peerBatched[i][r] = agg.getOrDefault(bs.get(i), Double.NaN);
                        }
                    }
                }
                System.err.printf(Locale.ROOT, "jsteer bench: %s repeat %d/%d: jsteer decode %.2f tok/s%s%n", name, r + 1, n, decode[r],
                        c.peer() != null ? String.format(Locale.ROOT, ", llama.cpp %.2f", peerDecode[r]) : "");
            }
            vocab = s.config.vocabSize();
            if (c.steeringOverhead()) {
                System.err.printf(Locale.ROOT, "jsteer bench: %s: steering overhead, %d interleaved rounds ...%n", name, c.overheadRepeats());
                int[] prompt = prompt(s, c.prompts().getFirst());
                overhead = SteeringOverhead.measure(s.engine, SteeringSetup.all(s.config, 11), prompt, c.tokens(), c.overheadRepeats());
            }
        }
        // jsteer's memory in a process of its own, as llama-bench's is: in this one the two cannot be told apart
        System.err.printf(Locale.ROOT, "jsteer bench: %s: resident memory of jsteer alone (a child JVM) ...%n", name);
        long rss = io.jsteer.bench.peers.RssProbe.measure("jsteer", model, c.threads(), c.prompts().getFirst(), c.tokens(), vocab);
        String file = name + " (" + types + ")";
        String mb = String.format(Locale.ROOT, "%.1f MB", bytesPerToken / 1e6);
        double d = median(decode);
        double[] p = Arrays.stream(prefill).mapToDouble(FileBenchTable::median).toArray();
        row(file, mb, "jsteer", d, p, median(ttft), rss / 1048576.0, 100 * WeightTraffic.rooflineShare(bytesPerToken, d, bw.roofline()), "");
        if (c.peer() != null) {
            double pd = median(peerDecode);
            double[] pp = Arrays.stream(peerPrefill).mapToDouble(FileBenchTable::median).toArray();
            StringBuilder ratio = new StringBuilder(String.format(Locale.ROOT, "%.2f", d / pd));
            for (int i = 0; i < np; i++) {
                ratio.append(String.format(Locale.ROOT, " / %.2f", p[i] / pp[i]));
            }
            // llama-bench times the prompt alone: its TTFT is the first prompt's processing time
            row(file, mb, "llama.cpp", pd, pp, c.prompts().getFirst() * 1e3 / pp[0], peerRss / 1048576.0,
                    100 * WeightTraffic.rooflineShare(bytesPerToken, pd, bw.roofline()), ratio.toString());
        }
        double[] none = new double[np];
        Arrays.fill(none, Double.NaN);
        for (int i = 0; i < bs.size(); i++) {
            int b = bs.get(i);
            double agg = median(batched[i]);
            // one pass over the weights per step of b tokens
            double roof = 100 * WeightTraffic.rooflineShare(bytesPerToken, agg / b, bw.roofline());
            if (peerBatches) {
                double pagg = median(peerBatched[i]);
                row(file, mb, "jsteer, B=" + b + " (aggregate)", agg, none, Double.NaN, Double.NaN, roof,
                        String.format(Locale.ROOT, "%.2f", agg / pagg));
                row(file, mb, "llama.cpp, B=" + b + " (aggregate)", pagg, none, Double.NaN, Double.NaN,
                        100 * WeightTraffic.rooflineShare(bytesPerToken, pagg / b, bw.roofline()), "");
            } else {
                row(file, mb, "jsteer, B=" + b + " (aggregate)", agg, none, Double.NaN, Double.NaN, roof,
                        String.format(Locale.ROOT, "%.2f× one sequence", agg / d));
            }
        }
        for (SteeringOverhead.Result o : overhead) {
            if (o.setup().name().equals("none")) {
                row(file, mb, "jsteer, steering setups: none", o.decodeTokPerSec(), none, o.ttftMs(), Double.NaN,
                        100 * WeightTraffic.rooflineShare(bytesPerToken, o.decodeTokPerSec(), bw.roofline()), "baseline of the rows below");
                continue;
            }
            row(file, mb, "jsteer + " + o.setup().name() + ": " + o.setup().what(), o.decodeTokPerSec(), none, o.ttftMs(), Double.NaN,
                    100 * WeightTraffic.rooflineShare(bytesPerToken, o.decodeTokPerSec(), bw.roofline()),
                    String.format(Locale.ROOT, "decode %+.1f %% time/token, TTFT ×%.2f", o.decodeOverheadPercent(), o.ttftRatio()));
        }
    }

    private void row(String file, String mb, String engine, double decode, double[] prefill, double ttftMs, double rssMiB,
                     double roofPercent, String ratio) {
        StringBuilder b = new StringBuilder("| ").append(file).append(" | ").append(mb).append(" | ").append(engine).append(" | ")
                .append(fmt(decode, "%.2f"));
        for (double p : prefill) {
            b.append(" | ").append(fmt(p, "%.1f"));
        }
        // a small model's first token comes in well under a millisecond on a quiet machine: keep three significant figures there
        b.append(" | ").append(fmt(ttftMs, ttftMs >= 100 ? "%.0f" : ttftMs >= 1 ? "%.1f" : "%.3f")).append(" | ").append(fmt(rssMiB, "%.0f")).append(" | ")
                .append(fmt(roofPercent, "%.3g %%")).append(" | ").append(ratio).append(" |");
        rows.add(b.toString());
    }

    private static String fmt(double v, String f) {
        return Double.isFinite(v) && v >= 0 ? String.format(Locale.ROOT, f, v) : "–";
    }

    static double decode(ModelBenchState s, int n) {
        long t0 = System.nanoTime();
        for (int pos = 0; pos < n; pos++) {
            s.engine.forward(s.tokenAt(pos), pos, pos == 0);
        }
        return n * 1e9 / (System.nanoTime() - t0);
    }

    private static int[] prompt(ModelBenchState s, int n) {
        int[] prompt = new int[n];
        for (int i = 0; i < n; i++) {
            prompt[i] = s.tokenAt(i);
        }
        return prompt;
    }

    /** Nanoseconds from the prompt to the first token id: the prefill and the argmax of its logits. */
    static long prefill(ModelBenchState s, int length) {
        int[] prompt = prompt(s, length);
        long t0 = System.nanoTime();
        float[] logits = s.engine.prefill(prompt, 0);
        int first = Sampler.argmax(logits, logits.length);
        long t = System.nanoTime() - t0;
        if (first < 0) {
            throw new AssertionError("unreachable: keeps the argmax");
        }
        return t;
    }

    /** Aggregate tok/s of {@code b} sequences decoded together for {@code steps} steps, each on its own cache. */
    static double batch(ModelBenchState s, int b, int steps) {
        KvCache[] caches = new KvCache[b];
        int[] tok = new int[b], pos = new int[b];
        for (int i = 0; i < b; i++) {
            caches[i] = s.engine.newCache(Math.min(s.engine.capacity(), steps + 1));
            tok[i] = s.tokenAt(i);
        }
        long t0 = System.nanoTime();
        for (int step = 0; step < steps; step++) {
            s.engine.decodeBatch(caches, null, tok, pos);
            for (int i = 0; i < b; i++) {
                tok[i] = s.tokenAt(step + i + 1);
                pos[i]++;
            }
        }
        return (double) b * steps * 1e9 / (System.nanoTime() - t0);
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2] + " (1, 5, 15 min) on " + Runtime.getRuntime().availableProcessors() + " cores";
        } catch (IOException | RuntimeException e) {
            return "unknown (no /proc/loadavg)";
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
