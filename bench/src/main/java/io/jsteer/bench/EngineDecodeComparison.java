package io.jsteer.bench;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Decode tok/s of the TornadoVM engine against the CPU engine on the random-weight benchmark
 * models. Not a JMH benchmark: JMH forks JVMs without the TornadoVM SDK's arguments. The tornado
 * engine is looked up by name, so this runs only with jsteer-tornado-kernels and TornadoVM on the
 * class path, e.g.
 * {@code java @$TORNADOVM_HOME/tornado-argfile -cp ... io.jsteer.bench.EngineDecodeComparison llama2-110m:f32 llama3.2-1b:q8_0}.
 *
 * <p>Arguments: {@code shape:dtype} pairs; system properties {@code tokens} (timed, default 128),
 * {@code warmup} (default 16), {@code threads} (CPU engine, default all cores), {@code cpu} (false
 * skips the CPU engine), {@code peakBandwidth} (bytes/s for the fraction, default H200's 4.8e12),
 * {@code tornadoVariants} (the tornado engine once per variant, {@code ;}-separated, each
 * {@code label:key=value,key=value} system properties set while that engine is created, e.g.
 * {@code plain:;cudagraph:jsteer.tornado.cudaGraph=true}; default one run with the properties as they are).
 */
public final class EngineDecodeComparison {

    private static final String TORNADO_ENGINE = "io.jsteer.tornado.TornadoEngine";

    /** One measurement row. */
    public record Row(String shape, String dtype, String engine, int tokens, double tokensPerSecond, long weightBytes,
                      double bandwidthFraction) {}

    private EngineDecodeComparison() {}

    /** A tornado engine configuration: system properties set while it is created (it reads them then). */
    record Variant(String label, Map<String, String> properties) {

        /** "" is one unlabelled variant with no properties; else ';'-separated "label:key=value,key=value". */
        static List<Variant> parseAll(String spec) {
            if (spec.isBlank()) {
                return List.of(new Variant("", Map.of()));
            }
            List<Variant> out = new ArrayList<>();
            for (String one : spec.split(";")) {
                int colon = one.indexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("tornadoVariants entry '" + one + "' must be label:key=value,... (label not empty)");
                }
                Map<String, String> props = new LinkedHashMap<>();
                for (String kv : one.substring(colon + 1).split(",")) {
                    if (kv.isBlank()) {
                        continue;
                    }
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("tornadoVariants entry '" + one + "': '" + kv + "' is not key=value");
                    }
                    props.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                }
                out.add(new Variant(one.substring(0, colon).trim(), props));
            }
            return out;
        }

        String engineName() {
            return label.isEmpty() ? "tornado" : "tornado-" + label;
        }

        /** Runs {@code create} with the properties set, then restores what they were. */
        <T> T apply(Supplier<T> create) {
            Map<String, String> before = new LinkedHashMap<>();
            properties.forEach((k, v) -> {
                before.put(k, System.getProperty(k));
                System.setProperty(k, v);
            });
            try {
                return create.get();
            } finally {
                before.forEach((k, v) -> {
                    if (v == null) {
                        System.clearProperty(k);
                    } else {
                        System.setProperty(k, v);
                    }
                });
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: EngineDecodeComparison shape:dtype ... (e.g. llama2-110m:f32 llama3.2-1b:q8_0)");
        }
        int tokens = Integer.getInteger("tokens", 128);
        int warmup = Integer.getInteger("warmup", 16);
        int threads = Integer.getInteger("threads", Runtime.getRuntime().availableProcessors());
        boolean withCpu = Boolean.parseBoolean(System.getProperty("cpu", "true"));
        double peak = Double.parseDouble(System.getProperty("peakBandwidth", "4.8e12"));
        Method tornado = tornadoFactory();
        List<Variant> variants = Variant.parseAll(System.getProperty("tornadoVariants", ""));
        List<Row> rows = new ArrayList<>();
        // variants outermost: every model's first variant (and CPU run) is measured before a later variant can fail
        for (int vi = 0; vi < variants.size(); vi++) {
            Variant v = variants.get(vi);
            for (String arg : args) {
                int colon = arg.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("argument '" + arg + "' must be shape:dtype, e.g. llama2-110m:f32");
                }
                String shape = arg.substring(0, colon), dtype = arg.substring(colon + 1);
                try (ModelWeights file = ModelFiles.open(BenchModels.ensure(shape, dtype))) {
                    LlamaConfig c = LlamaConfig.fromMetadata(file.metadata());
                    LlamaWeights w = LlamaWeights.load(c, ModelLoader.lookup(file));
                    long bytes = weightBytes(c, w);
                    int context = warmup + tokens;
                    if (withCpu && vi == 0) {
                        try (Parallel par = new Parallel(threads); CpuEngine e = new CpuEngine(c, w, context, par)) {
                            rows.add(measure(shape, dtype, "cpu(" + threads + ")", e, warmup, tokens, bytes, peak));
                        }
                    }
                    try (InferenceEngine e = v.apply(() -> createTornado(tornado, c, w, context))) {
                        rows.add(measure(shape, dtype, v.engineName(), e, warmup, tokens, bytes, peak));
                    }
                    System.out.flush();
                }
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-12s %-6s %-18s %7s %10s %11s %9s%n", "shape", "dtype", "engine", "tokens", "tok/s", "weight MB", "of peak");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-12s %-6s %-18s %7d %10.2f %11.1f %8.2f%%%n", r.shape(), r.dtype(), r.engine(), r.tokens(),
                    r.tokensPerSecond(), r.weightBytes() / 1e6, 100 * r.bandwidthFraction());
        }
    }

    private static Row measure(String shape, String dtype, String name, InferenceEngine e, int warmup, int tokens, long bytes, double peak) {
        int vocab = e.config().vocabSize();
        long t0 = System.nanoTime();
        for (int p = 0; p < warmup; p++) {
            e.forward(tokenAt(p, vocab), p, false);
        }
        long t1 = System.nanoTime();
        float sink = 0;
        for (int p = warmup; p < warmup + tokens; p++) {
            sink += e.forward(tokenAt(p, vocab), p, false)[0];
        }
        long t2 = System.nanoTime();
        double tps = tokens / ((t2 - t1) / 1e9);
        System.out.printf(Locale.ROOT, "%s %s %s: warm-up %d tokens in %.1f s, then %.2f tok/s (logit sum %.3f)%n",
                shape, dtype, name, warmup, (t1 - t0) / 1e9, tps, sink);
        return new Row(shape, dtype, name, tokens, tps, bytes, bytes * tps / peak);
    }

    /** Deterministic token ids, as ModelBenchState. */
    private static int tokenAt(int pos, int vocab) {
        return (int) ((pos * 7919L + 13) % vocab);
    }

    /** Bytes of the matrices read per token in the file's format (the embedding row aside). */
    static long weightBytes(LlamaConfig c, LlamaWeights w) {
        long sum = segmentBytes(w.classifier());
        for (int l = 0; l < c.nLayers(); l++) {
            sum += segmentBytes(w.wq()[l]) + segmentBytes(w.wk()[l]) + segmentBytes(w.wv()[l]) + segmentBytes(w.wo()[l])
                    + segmentBytes(w.w1()[l]) + segmentBytes(w.w2()[l]) + segmentBytes(w.w3()[l]);
        }
        return sum;
    }

    private static long segmentBytes(FloatTensor t) {
        return t.segment().byteSize();
    }

    private static Method tornadoFactory() {
        try {
            return Class.forName(TORNADO_ENGINE).getMethod("create", LlamaConfig.class, LlamaWeights.class, int.class);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalStateException("the tornado engine is not on the class path (" + e + "): build tornado-kernels with "
                    + "-Ptornado and run with the TornadoVM SDK's arguments (see tornado-kernels/README.md)");
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(TORNADO_ENGINE + " has no create(LlamaConfig, LlamaWeights, int)", e);
        }
    }

    /** Creates the tornado engine; reflective failures surface as the engine's own exception. */
    private static InferenceEngine createTornado(Method factory, LlamaConfig c, LlamaWeights w, int context) {
        try {
            return (InferenceEngine) factory.invoke(null, c, w, context);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
