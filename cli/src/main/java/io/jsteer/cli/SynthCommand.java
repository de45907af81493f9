package io.jsteer.cli;

import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelShape;
import io.jsteer.weights.ModelShapes;
import io.jsteer.weights.SyntheticModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a random-weight model of a real shape, for benchmarks. */
@Command(name = "synth", description = "Write a random-weight GGUF model of a real shape (for benchmarks).",
        footer = {"", "Shapes: stories260K, stories15M, llama2-110m, llama3.2-1b, llama2-7b, llama3.1-8b, mistral-7b-v0.1 (sliding window),",
                "  tinyllama-1.1b, smollm2-135m, qwen2.5-0.5b (arch qwen2: q/k/v biases), qwen3-0.6b (arch qwen3: q/k norms, wide heads).",
                "Examples:", "  jsteer synth --shape llama2-110m --dtype q8_0 -o /tmp/llama2-110m-q8_0.gguf",
                "  jsteer synth --shape llama2-7b --blocks 2 --dtype q8_0 --vocab ../shared/models/ggml-vocab-llama-spm.gguf -o /tmp/l2-7b-2.gguf",
                "  jsteer synth --shape llama3.1-8b --blocks 2 --vocab-size 32000 --dtype q8_0 \\",
                "      --vocab ../shared/models/ggml-vocab-llama-spm.gguf -o /tmp/l31-8b-2.gguf   (the 8B widths, the Llama 2 vocabulary)",
                "  jsteer synth --shape llama2-110m --vocab ../shared/models/ggml-vocab-llama-spm.gguf -o /tmp/r110m-f32.gguf",
                "  jsteer synth --shape qwen3-0.6b --blocks 4 --vocab-size 32000 --vocab ../shared/models/ggml-vocab-llama-spm.gguf -o /tmp/q3.gguf",
                "  jsteer synth --shape llama2-110m --arch qwen2 -o /tmp/r110m-qwen2.gguf   (the 110m widths with qwen2's biases)",
                "  (then llama.cpp's llama-quantize /tmp/r110m-f32.gguf /tmp/r110m-q4_k_m.gguf Q4_K_M gives a file both engines run)"})
final class SynthCommand implements Callable<Integer> {

    @Option(names = "--shape", required = true, description = "model shape")
    String shape;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, f16, bf16, q8_0, q4_0, q4_k, q6_k (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "output .gguf")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--vocab", paramLabel = "GGUF",
            description = "copy the tokenizer.* metadata of this GGUF (e.g. ../shared/models/ggml-vocab-llama-spm.gguf) so that "
                    + "llama.cpp can load the file too; its vocabulary size must equal the shape's")
    Path vocab;

    @Option(names = "--blocks", paramLabel = "N",
            description = "keep only the first N blocks of the shape (all widths unchanged): a real-width smoke model that fits in memory")
    Integer blocks;

    @Option(names = "--vocab-size", paramLabel = "N",
            description = "override the shape's vocabulary size (e.g. 32000 to pair the Llama 3 widths with the Llama 2 vocabulary "
                    + "of --vocab when no Llama 3 tokenizer is at hand); the name of the model says so")
    Integer vocabSize;

    @Option(names = {"--arch", "--family"}, paramLabel = "ARCH",
            description = "lay the shape out as this architecture: llama, qwen2 (q/k/v biases) or qwen3 (per-head q/k norms); "
                    + "default: the shape's own")
    String arch;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        ModelShape s = ModelShapes.byName(shape);
        if (blocks != null) {
            s = s.withLayers(blocks);
        }
        if (vocabSize != null) {
            s = s.withVocabSize(vocabSize);
        }
        if (arch != null) {
            if (!ModelShape.ARCHITECTURES.contains(arch)) {
                throw new UsageException("--arch must be one of " + ModelShape.ARCHITECTURES + ", got '" + arch + "'");
            }
            s = s.withArchitecture(arch);
        }
        DType t = DType.parse(dtype);
        long t0 = System.nanoTime();
        java.util.Map<String, Object> extra = new java.util.LinkedHashMap<>();
        if (vocab != null) {
            var header = io.jsteer.weights.gguf.GgufReader.readHeader(vocab);
            header.metadata().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    extra.put(k, v);
                }
            });
            Object tokens = extra.get("tokenizer.ggml.tokens");
            int n = tokens instanceof java.util.List<?> l ? l.size() : -1;
            if (n != s.vocabSize()) {
                throw new IllegalArgumentException("--vocab " + vocab + " has " + (n < 0 ? "no tokenizer.ggml.tokens" : n + " tokens")
                        + ", the shape " + s.name() + " has a vocabulary of " + s.vocabSize());
            }
        }
        SyntheticModels.write(s, t, seed, extra, out);
        System.err.printf("jsteer: wrote %s (%s, %s, %.1f MiB) in %.1f s%n", out, s.name(), t.label(),
                Files.size(out) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        System.out.println(out);
        return 0;
    }
}
