package io.jsteer.cli;

import io.jsteer.bench.BenchModels;
import io.jsteer.bench.ModelBenchState;
import io.jsteer.tensor.VectorSupport;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.llama2c.Llama2cWriter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Speed table: decode and prefill tok/s on random-weight models of real shapes, optionally side
 * by side with llama2.c's run.c on the very same weights, or through JMH.
 */
@Command(name = "bench", description = "Decode/prefill tok/s on random-weight models; optionally against llama2.c's run.c or via JMH.",
        footer = {"", "Examples:",
                "  jsteer bench --shape llama2-110m --dtype f32,q8_0 --threads 2",
                "  jsteer bench --shape llama2-110m --dtype f32 --threads 2 --runc /path/to/llama2.c/run --runc-tokenizer ../shared/models/tokenizer.bin",
                "  jsteer bench --model r110m-q4_k_m.gguf,r110m-q8_0.gguf --threads 2 --against llamacpp=/path/to/llama-bench",
                "  jsteer bench --model r110m-f32.gguf --against llamacpp=/path/to/llama-bench --batch 1,4,16 --steering-overhead",
                "  jsteer bench --jmh-kernels q4_k,q8_0 --threads 1",
                "  jsteer bench --shape llama2-110m,llama3.2-1b --threads 2 --against jlama,djl --json",
                "  jsteer bench --jmh --shape llama2-110m,llama3.2-1b --dtype f32,q8_0",
                "  jsteer bench --engine tornado --shape llama2-110m,llama3.2-1b --dtype q8_0   # needs TORNADOVM_HOME"})
final class BenchCommand implements Callable<Integer> {

    @Option(names = "--shape", split = ",", defaultValue = "llama2-110m", description = "model shapes (default: ${DEFAULT-VALUE})")
    List<String> shapes;

    @Option(names = "--dtype", split = ",", defaultValue = "f32,q8_0", description = "weight types (default: ${DEFAULT-VALUE})")
    List<String> dtypes;

    @Option(names = "--threads", defaultValue = "2", description = "threads (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--tokens", defaultValue = "128", description = "decoded tokens per measurement (default: ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--repeats", defaultValue = "3", description = "measurements per engine; the median is reported (default: ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--runc", paramLabel = "BINARY", description = "llama2.c run binary (e.g. built with make runomp) to time on the same f32 weights")
    Path runc;

    @Option(names = "--runc-tokenizer", paramLabel = "PATH", description = "tokenizer.bin for run.c (default: ../shared/models/tokenizer.bin)")
    Path runcTokenizer;

    @Option(names = {"-m", "--model"}, split = ",", paramLabel = "FILE",
            description = "time these model files (any GGUF quantization, .bin, safetensors) instead of random shapes")
    List<Path> models;

    @Option(names = "--prompt-tokens", split = ",", defaultValue = "128,512", paramLabel = "N",
            description = "prompt lengths of the prefill measurements; the first one is also the time-to-first-token prompt (default: ${DEFAULT-VALUE})")
    List<Integer> promptTokens;

    @Option(names = "--steering-overhead",
            description = "with --model: also time decode and time to first token with no steering, one additive vector, vectors at every block,"
                    + " MAT-Steer gates, a KTS LoRA adapter (unmerged) and the KTS probe gate, interleaved token by token on one engine")
    boolean steeringOverhead;

    @Option(names = "--overhead-repeats", defaultValue = "5",
            description = "with --steering-overhead: interleaved rounds (prompt + --tokens decode steps per setup each); medians (default: ${DEFAULT-VALUE})")
    int overheadRepeats;

    @Option(names = "--jmh-kernels", split = ",", paramLabel = "DTYPE", arity = "0..*",
            description = "run the JMH kernel benchmarks (KernelBenchmark: matvec and matmul, GB/s and GFLOP/s) for these types (default: all)")
    List<String> jmhKernels;

    @Option(names = "--against", split = ",", paramLabel = "PEER",
            description = {"llamacpp=PATH: with --model, also run llama.cpp's llama-bench binary at PATH on the same file, threads, prompt and token counts.",
                    "jlama, djl: on the random --shape models, also run Jlama and a DJL/PyTorch Llama port on the same weights (as safetensors), "
                            + "after checking their greedy tokens and logits against jsteer's; needs bench/target/peers-lib (built by ./mvnw package)"})
    List<String> against;

    @Option(names = "--jlama-formats", split = ",", defaultValue = "f32,bf16,q4", paramLabel = "f32|bf16|q4",
            description = "with --against jlama: Jlama's weight formats, each against jsteer's f32/bf16/q4_0 (default: ${DEFAULT-VALUE})")
    List<String> jlamaFormats;

    @Option(names = "--no-steering", description = "with --against jlama/djl: skip the jsteer row with an additive steering vector")
    boolean noSteering;

    @Option(names = "--json", description = "with --against jlama/djl: print the table as JSON")
    boolean json;

    @Option(names = "--batch", split = ",", paramLabel = "B",
            description = "also time continuous-batching decode (serve --cont-batching): B sequences per step in one pass over"
                    + " the weights, aggregate tok/s and the ratio to one sequence, e.g. --batch 4,16")
    List<Integer> batches;

    @Option(names = "--jmh", description = "run the JMH benchmarks (DecodeBenchmark, PrefillBenchmark) instead of the quick table")
    boolean jmh;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Option(names = "--engine", paramLabel = "cpu|tornado", defaultValue = "cpu",
            description = "tornado: time the TornadoVM engine against the CPU engine, decode tok/s and the share of peak memory bandwidth (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(names = "--peak-bandwidth", paramLabel = "BYTES/S", defaultValue = "4.8e12",
            description = "with --engine tornado: the device's peak memory bandwidth (default: ${DEFAULT-VALUE}, an H200)")
    double peakBandwidth;

    @Override
    public Integer call() throws Exception {
        if (threads < 1 || tokens < 1 || repeats < 1) {
            throw new UsageException("--threads, --tokens and --repeats must be at least 1");
        }
        if (jmhKernels != null) {
            return runKernelJmh();
        }
        if (jmh) {
            return runJmh();
        }
        for (int p : promptTokens) {
            if (p < 1) {
                throw new UsageException("--prompt-tokens must be at least 1, got " + p);
            }
        }
        if (steeringOverhead && (models == null || models.isEmpty())) {
            throw new UsageException("--steering-overhead goes with --model FILE");
        }
        if (overheadRepeats < 1) {
            throw new UsageException("--overhead-repeats must be at least 1");
        }
        if (batches != null) {
            for (int b : batches) {
                if (b < 1 || b > io.jsteer.model.CpuEngine.maxBatch()) {
                    throw new UsageException("--batch takes 1.." + io.jsteer.model.CpuEngine.maxBatch() + " sequences, got " + b);
                }
            }
            if (against != null && against.stream().anyMatch(a -> !a.startsWith("llamacpp=")) || !engine.equals("cpu")) {
                throw new UsageException("--batch goes with the CPU engine's tables (--shape, or --model with --against llamacpp=PATH)");
            }
        }
        List<String> jvmPeers = against == null ? List.of() : against.stream().filter(a -> !a.startsWith("llamacpp=")).toList();
        String llamacpp = against == null ? null : against.stream().filter(a -> a.startsWith("llamacpp=")).findFirst().orElse(null);
        if (!jvmPeers.isEmpty()) {
            if (llamacpp != null || (models != null && !models.isEmpty())) {
                throw new UsageException("--against jlama/djl times the random --shape models; llamacpp=PATH times --model files: run them separately");
            }
            return PeerLauncher.run(shapes, jvmPeers, jlamaFormats, threads, tokens, promptTokens, repeats, !noSteering, json, jvmFlags());
        }
        if (json) {
            throw new UsageException("--json goes with --against jlama/djl");
        }
        if (models != null && !models.isEmpty()) {
            return benchFiles(llamacpp);
        }
        if (llamacpp != null) {
            throw new IllegalArgumentException("--against llamacpp=PATH needs --model FILE: llama.cpp times the very same file");
        }
        if (!engine.equals("cpu")) {
            Engines.requireSupported(engine);
            System.setProperty("tokens", String.valueOf(tokens));
            System.setProperty("threads", String.valueOf(threads));
            System.setProperty("peakBandwidth", String.valueOf(peakBandwidth));
            List<String> cells = new java.util.ArrayList<>();
            for (String shape : shapes) {
                for (String dtype : dtypes) {
                    cells.add(shape + ":" + dtype);
                }
            }
            io.jsteer.bench.EngineDecodeComparison.main(cells.toArray(String[]::new));
            return 0;
        }
        System.out.printf("jsteer bench: %s, %d threads, %d decoded tokens, median of %d%n",
                VectorSupport.describe(), threads, tokens, repeats);
        System.out.printf("%-12s %-5s %12s %12s %14s %8s%n", "shape", "dtype", "decode tok/s", "prefill tok/s", "run.c tok/s", "ratio");
        for (String shape : shapes) {
            for (String dtype : dtypes) {
                double[] decode = new double[repeats], prefill = new double[repeats], peer = new double[repeats];
                List<Integer> bs = batches == null ? List.of() : batches;
                double[][] batched = new double[bs.size()][repeats];
                Path bin = runc != null && dtype.equalsIgnoreCase("f32") ? llama2cCopy(shape) : null;
                try (ModelBenchState s = new ModelBenchState(shape, dtype, threads, tokens + 8)) {
                    FileBenchTable.decode(s, Math.min(16, s.engine.capacity())); // warm-up: JIT and page cache
                    for (int r = 0; r < repeats; r++) {
                        // alternate the measurements so that all see the same machine state
                        decode[r] = FileBenchTable.decode(s, tokens);
                        prefill[r] = prefill(s);
                        for (int i = 0; i < bs.size(); i++) {
                            batched[i][r] = FileBenchTable.batch(s, bs.get(i), tokens);
                        }
                        if (bin != null) {
                            peer[r] = runRunc(bin);
                        }
                    }
                }
                double d = FileBenchTable.median(decode), p = FileBenchTable.median(prefill), c = bin != null ? FileBenchTable.median(peer) : Double.NaN;
                System.out.printf("%-12s %-5s %12.2f %12.2f %14s %8s%n", shape, dtype, d, p,
                        bin != null ? String.format("%.2f", c) : "-", bin != null ? String.format("%.2f", d / c) : "-");
                for (int i = 0; i < bs.size(); i++) {
                    double agg = FileBenchTable.median(batched[i]);
                    System.out.printf("%-12s %-5s   batch %2d: %9.2f tok/s in all (%.2fx one sequence)%n", "", "", bs.get(i), agg, agg / d);
                }
            }
        }
        return 0;
    }

    /** The table for user files: see {@link FileBenchTable}. */
    private int benchFiles(String against) throws Exception {
        LlamaBenchPeer peer = against == null ? null : LlamaBenchPeer.parse(against);
        return new FileBenchTable(new FileBenchTable.Config(models, threads, tokens, promptTokens, repeats, batches, peer,
                steeringOverhead, overheadRepeats)).run();
    }

    /** Prefill tok/s of the shape table: a 64-token prompt. */
    private static double prefill(ModelBenchState s) {
        int n = Math.min(64, s.engine.capacity());
        return n * 1e9 / FileBenchTable.prefill(s, n);
    }

    private Path llama2cCopy(String shape) throws Exception {
        Path bin = BenchModels.cacheDir().resolve(shape + "-f32-seed" + BenchModels.SEED + ".bin");
        if (!Files.isRegularFile(bin)) {
            try (ModelWeights w = ModelFiles.open(BenchModels.ensure(shape, "f32"))) {
                System.err.println("jsteer bench: writing the same weights for run.c to " + bin + " (once)");
                Llama2cWriter.write(w, bin);
            }
        }
        return bin;
    }

    private static final Pattern ACHIEVED = Pattern.compile("achieved tok/s: ([0-9.]+)");

    private double runRunc(Path bin) throws Exception {
        Path tok = runcTokenizer != null ? runcTokenizer : ModelLocator.home().resolve("../shared/models/tokenizer.bin").normalize();
        // run.c counts the prompt's BOS among its steps: -n tokens+1 decodes `tokens` new ones from BOS
        ProcessBuilder pb = new ProcessBuilder(runc.toString(), bin.toString(), "-z", tok.toString(),
                "-n", String.valueOf(tokens + 1), "-t", "0", "-s", "1");
        pb.environment().put("OMP_NUM_THREADS", String.valueOf(threads));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        StringBuilder all = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                all.append(line).append('\n');
            }
        }
        int rc = p.waitFor();
        Matcher m = ACHIEVED.matcher(all);
        if (rc != 0 || !m.find()) {
            throw new IllegalStateException("--runc " + runc + " exited with " + rc + " and printed no 'achieved tok/s'");
        }
        return Double.parseDouble(m.group(1));
    }

    /** JMH's KernelBenchmark (bench/): matvec and matmul of every type, or of the types named. */
    private int runKernelJmh() throws Exception {
        var b = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include("io\\.jsteer\\.bench\\.KernelBenchmark")
                .param("threads", String.valueOf(threads))
                .jvmArgsAppend(jvmFlags());
        if (!jmhKernels.isEmpty()) {
            b.param("dtype", jmhKernels.stream().map(String::toLowerCase).toArray(String[]::new));
        }
        new org.openjdk.jmh.runner.Runner(b.build()).run();
        return 0;
    }

    private int runJmh() throws Exception {
        var opts = new org.openjdk.jmh.runner.options.OptionsBuilder()
                .include("io\\.jsteer\\.bench\\.(Decode|Prefill)Benchmark")
                .param("shape", shapes.toArray(String[]::new))
                .param("dtype", dtypes.toArray(String[]::new))
                .param("threads", String.valueOf(threads))
                .forks(1).warmupIterations(2).measurementIterations(3)
                .warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(5))
                .measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(10))
                .jvmArgsAppend(jvmFlags())
                .build();
        new org.openjdk.jmh.runner.Runner(opts).run();
        return 0;
    }

    /** The launcher's JVM flags, so that JMH's forked JVM has the Vector API too. */
    static String[] jvmFlags() throws Exception {
        try (var in = BenchCommand.class.getResourceAsStream("jvm.flags")) {
            List<String> flags = new ArrayList<>(Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim().split("\\s+")));
            return flags.toArray(String[]::new);
        }
    }
}
