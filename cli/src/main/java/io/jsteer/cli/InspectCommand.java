package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.KvRing;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.model.tokenizer.Tokenizers;
import io.jsteer.model.tokenizer.Vocabulary;
import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What is in a model file: format, architecture, shapes, dtypes, metadata, tokenizer. */
@Command(name = "inspect", description = "Show the architecture, tensors, dtypes, metadata and tokenizer of a model file.",
        footer = {"", "Examples:", "  jsteer inspect ../shared/models/stories260K.gguf --tensors", "  jsteer inspect stories260K",
                "  jsteer inspect happy.json"})
final class InspectCommand implements Callable<Integer> {

    @Parameters(paramLabel = "FILE|NAME", description = "a .gguf, llama2.c .bin, .safetensors file, model directory, a steering-vector "
            + "set (NAME.json), or a model name looked up as --model does (e.g. stories260K)")
    String target;

    private Path file;

    @Option(names = "--tensors", description = "list every tensor")
    boolean listTensors;

    @Option(names = "--json", description = "print JSON instead of text")
    boolean json;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        // a path that exists (or names a vector set) is taken as it is; anything else is a model name
        Path asPath = Path.of(target);
        boolean vectorSet = target.endsWith(".json") || target.endsWith(".safetensors")
                && java.nio.file.Files.exists(io.jsteer.steering.vectors.VectorSetFiles.jsonPath(asPath));
        file = vectorSet || java.nio.file.Files.exists(asPath) ? asPath : ModelLocator.resolve(target, "inspect");
        if (file.getFileName().toString().endsWith(".json") || file.getFileName().toString().endsWith(".safetensors")
                && (java.nio.file.Files.exists(io.jsteer.steering.vectors.VectorSetFiles.jsonPath(file))
                    || io.jsteer.steering.vectors.VectorSetFiles.isVectorSet(file))) {
            return inspectVectorSet();
        }
        try (ModelWeights w = ModelFiles.open(file)) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("file", w.path().toString());
            report.put("format", w.format().toString());
            Object arch = w.metadata().get("general.architecture");
            report.put("architecture", arch);
            if (arch instanceof String a && w.metadata().containsKey(a + ".embedding_length")) {
                try {
                    LlamaConfig c = LlamaConfig.fromMetadata(w.metadata());
                    Map<String, Object> cfg = new LinkedHashMap<>();
                    cfg.put("family", c.family().toString());
                    cfg.put("dim", c.dim());
                    cfg.put("hidden_dim", c.hiddenDim());
                    cfg.put("layers", c.nLayers());
                    cfg.put("heads", c.nHeads());
                    cfg.put("kv_heads", c.nKvHeads());
                    cfg.put("head_size", c.headSize());
                    cfg.put("vocab_size", c.vocabSize());
                    cfg.put("context_length", c.contextLength());
                    cfg.put("rms_eps", c.rmsEps());
                    cfg.put("rope_theta", c.ropeTheta());
                    cfg.put("rope_style", c.ropeStyle().toString().toLowerCase(java.util.Locale.ROOT));
                    cfg.put("rope_scaling", c.ropeScaling() == null ? "none" : c.ropeScaling().toString());
                    cfg.put("rope_freqs", w.hasTensor("rope_freqs.weight") ? "per-pair divisors (rope_freqs.weight)" : "none");
                    cfg.put("qkv_bias", c.family().qkvBias());
                    cfg.put("qk_norm", c.family().qkNorm());
                    cfg.put("sliding_window", c.slidingWindow() == 0 ? "none" : c.slidingWindow());
                    KvRing kv = CpuEngine.cacheRing(c, c.contextLength());
                    long kvBytes = kv.bytes(c);
                    cfg.put("kv_cache", String.format(Locale.ROOT, "%.1f %s at the full context, float32 (%s)",
                            kvBytes >= 1 << 20 ? kvBytes / 1048576.0 : kvBytes / 1024.0, kvBytes >= 1 << 20 ? "MiB" : "KiB",
                            kv.isRing() ? "a ring of " + kv.slots() + " positions for the sliding window" : "one row per position"));
                    cfg.put("classifier", w.hasTensor("output.weight") ? "separate" : "tied to token_embd");
                    report.put("config", cfg);
                } catch (IllegalArgumentException e) {
                    report.put("config_error", e.getMessage());
                }
            }
            long params = 0, bytes = 0;
            Map<String, Integer> perType = new TreeMap<>();
            for (TensorData t : w.tensors().values()) {
                params += t.data().size();
                bytes += t.data().segment().byteSize();
                perType.merge(t.dtype().label(), 1, Integer::sum);
            }
            report.put("tensors", w.tensors().size());
            report.put("parameters", params);
            report.put("tensor_bytes", bytes);
            report.put("tensors_by_dtype", perType);
            report.put("bits_per_weight", params == 0 ? 0.0 : Math.round(bytes * 8.0 / params * 100) / 100.0);
            if (listTensors) {
                List<Map<String, Object>> list = w.tensors().values().stream().map(t -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("name", t.name());
                    m.put("dtype", t.dtype().label());
                    m.put("shape", t.shape());
                    m.put("bits_per_weight", t.dtype().bitsPerWeight());
                    return m;
                }).toList();
                report.put("tensor_list", list);
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            w.metadata().forEach((k, v) -> meta.put(k, v instanceof List<?> l ? "[" + l.size() + " items]" : v));
            report.put("metadata", meta);
            if (w.metadata().containsKey("tokenizer.ggml.tokens")) {
                Tokenizer tok = Tokenizers.forVocabulary(Vocabulary.fromGgufMetadata(w.metadata()));
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("kind", tok.vocabulary().kind().toString());
                t.put("size", tok.vocabSize());
                t.put("bos", tok.bos() + " " + tok.piece(tok.bos()));
                t.put("eos", tok.eos() + " " + tok.piece(tok.eos()));
                report.put("tokenizer", t);
            } else {
                report.put("tokenizer", "none embedded (pass --tokenizer when running)");
            }
            print(report);
        }
        return 0;
    }

    private void print(Map<String, Object> report) throws Exception {
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            return;
        }
        for (var e : report.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map<?, ?> m) {
                System.out.println(e.getKey() + ":");
                m.forEach((k, x) -> System.out.println("  " + k + " = " + x));
            } else if (v instanceof List<?> l) {
                System.out.println(e.getKey() + ":");
                for (Object o : l) {
                    Map<?, ?> t = (Map<?, ?>) o;
                    System.out.printf("  %-32s %-6s %6.2f bpw  %s%n", t.get("name"), t.get("dtype"), (double) t.get("bits_per_weight"),
                            Arrays.toString((long[]) t.get("shape")));
                }
            } else {
                System.out.println(e.getKey() + ": " + v);
            }
        }
    }

    /** A steering-vector set (NAME.json + NAME.safetensors): site, layers, norms, provenance. */
    private int inspectVectorSet() throws Exception {
        var set = io.jsteer.steering.vectors.VectorSetFiles.read(file);
        var p = set.provenance();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("file", io.jsteer.steering.vectors.VectorSetFiles.jsonPath(file).toString());
        report.put("kind", "steering vector set");
        report.put("site", set.kind().label());
        report.put("layers", List.copyOf(set.vectors().keySet()));
        report.put("width", set.width());
        report.put("norms", set.norms());
        // what a strength is next to the stream (--steer NAME:S adds length S along each vector)
        report.put("typical |h|", set.residNorms().<Object>map(n -> n).orElse("not recorded (an older or imported set)"));
        report.put("method", p.method());
        report.put("positions", p.positions());
        report.put("model", p.model() + (p.modelSha256().isEmpty() ? "" : " (sha256 " + p.modelSha256() + ")"));
        report.put("datasets", p.datasets().stream().map(d -> d.path() + " (sha256 " + d.sha256() + ")").toList());
        report.put("created_at", String.valueOf(p.createdAt()));
        report.put("extra", p.extra());
        if (json) {
            System.out.println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
        } else {
            report.forEach((k, v) -> System.out.printf("%-11s %s%n", k + ":", v));
        }
        return 0;
    }
}
