package io.jsteer.model.family;

import io.jsteer.model.TestModels;
import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelShape;
import io.jsteer.weights.SyntheticModels;
import io.jsteer.weights.gguf.GgufReader;
import io.jsteer.weights.gguf.GgufTensorSpec;
import io.jsteer.weights.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small random-weight GGUF models of each family, written the way llama.cpp's converter lays
 * them out (tensor names, metadata keys, RoPE layout), with stories260K's 512-token vocabulary so
 * that llama.cpp loads and runs them too. src/test/resources/family/README.md says how llama.cpp's
 * reference texts were made from them. Weights are N(0, 0.05²), biases N(0, 0.1²), norms
 * 1 + N(0, 0.1²): every optional tensor changes the output, so a reader that dropped one would
 * not give llama.cpp's text. Run: {@code java -cp ... io.jsteer.model.family.FamilyFixtureModel FAMILY OUT.gguf}.
 */
public final class FamilyFixtureModel {

    /**
     * The fixtures: {@code llama} (GQA, a rope_freqs tensor as converted Llama 3.1 files carry),
     * {@code qwen2} (q/k/v biases, RoPE base 1e6, tied classifier), {@code qwen3} (per-head q/k
     * norms, heads of 32 whose concatenation (128) is wider than the stream (64)), and
     * {@code mistral} (llama with a sliding window of 8, which llama.cpp's llama architecture
     * ignores: it is checked against the trainable path instead).
     */
    public static final List<String> FAMILIES = List.of("llama", "qwen2", "qwen3", "mistral");

    static final int DIM = 64, HIDDEN = 128, LAYERS = 2, HEADS = 4, KV_HEADS = 2, CONTEXT = 128, WINDOW = 8;
    static final long SEED = 20261203L;

    private FamilyFixtureModel() {}

    public static void write(String family, Path out) throws IOException {
        write(family, family.equals("mistral") ? "llama" : family, out);
    }

    /** The family's tensors under another architecture's metadata (a file that lies about what it holds). */
    static void write(String family, String arch, Path out) throws IOException {
        int headSize = family.equals("qwen3") ? 32 : DIM / HEADS;
        int qDim = HEADS * headSize, kvDim = KV_HEADS * headSize;
        boolean tied = family.equals("qwen2");
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", arch);
        meta.put("general.name", "jsteer-" + family + "-fixture");
        meta.put(arch + ".context_length", (long) CONTEXT);
        meta.put(arch + ".embedding_length", (long) DIM);
        meta.put(arch + ".feed_forward_length", (long) HIDDEN);
        meta.put(arch + ".block_count", (long) LAYERS);
        meta.put(arch + ".attention.head_count", (long) HEADS);
        meta.put(arch + ".attention.head_count_kv", (long) KV_HEADS);
        meta.put(arch + ".attention.layer_norm_rms_epsilon", 1e-6f);
        meta.put(arch + ".rope.freq_base", family.startsWith("qwen") ? 1_000_000f : 10000f);
        if (family.equals("qwen3")) {
            meta.put(arch + ".attention.key_length", (long) headSize);
            meta.put(arch + ".attention.value_length", (long) headSize);
        }
        if (family.equals("mistral")) {
            meta.put(arch + ".attention.sliding_window", (long) WINDOW);
        }
        meta.put("general.file_type", 0L);
        GgufReader.readHeader(TestModels.shared("models/stories260K.gguf")).metadata().forEach((k, v) -> {
            if (k.startsWith("tokenizer.")) {
                meta.put(k, v);
            }
        });
        int vocab = ((List<?>) meta.get("tokenizer.ggml.tokens")).size();

        List<GgufTensorSpec> t = new ArrayList<>();
        int[] n = {0};
        add(t, n, "token_embd.weight", 0.05, 0, vocab, DIM);
        if (family.equals("llama")) {
            // how converted Llama 3.1 files carry their frequency scaling: one divisor per pair
            float[] factors = new float[headSize / 2];
            for (int i = 0; i < factors.length; i++) {
                factors[i] = 1f + 7f * i / (factors.length - 1);
            }
            t.add(new GgufTensorSpec("rope_freqs.weight", DType.F32, new long[] {factors.length},
                    sink -> sink.writeFloats(factors, 0, factors.length)));
        }
        for (int l = 0; l < LAYERS; l++) {
            String p = "blk." + l + ".";
            add(t, n, p + "attn_norm.weight", 0.1, 1, DIM);
            add(t, n, p + "attn_q.weight", 0.05, 0, qDim, DIM);
            add(t, n, p + "attn_k.weight", 0.05, 0, kvDim, DIM);
            add(t, n, p + "attn_v.weight", 0.05, 0, kvDim, DIM);
            if (family.equals("qwen2")) {
                add(t, n, p + "attn_q.bias", 0.1, 0, qDim);
                add(t, n, p + "attn_k.bias", 0.1, 0, kvDim);
                add(t, n, p + "attn_v.bias", 0.1, 0, kvDim);
            }
            if (family.equals("qwen3")) {
                add(t, n, p + "attn_q_norm.weight", 0.1, 1, headSize);
                add(t, n, p + "attn_k_norm.weight", 0.1, 1, headSize);
            }
            add(t, n, p + "attn_output.weight", 0.05, 0, DIM, qDim);
            add(t, n, p + "ffn_norm.weight", 0.1, 1, DIM);
            add(t, n, p + "ffn_gate.weight", 0.05, 0, HIDDEN, DIM);
            add(t, n, p + "ffn_down.weight", 0.05, 0, DIM, HIDDEN);
            add(t, n, p + "ffn_up.weight", 0.05, 0, HIDDEN, DIM);
        }
        add(t, n, "output_norm.weight", 0.1, 1, DIM);
        if (!tied) {
            add(t, n, "output.weight", 0.05, 0, vocab, DIM);
        }
        GgufWriter.write(out, meta, t);
    }

    /** A tensor of N(mean, std²) values, its own generator per tensor (seeded by its index). */
    private static void add(List<GgufTensorSpec> specs, int[] index, String name, double std, double mean, long... shape) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        float[] values = new float[(int) count];
        SplittableRandom r = new SplittableRandom(SEED * 31 + index[0]++);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (mean + std * r.nextGaussian());
        }
        specs.add(new GgufTensorSpec(name, DType.F32, shape, sink -> sink.writeFloats(values, 0, values.length)));
    }

    /**
     * The same small widths written by {@code jsteer synth}'s writer ({@link SyntheticModels}) as
     * architecture {@code arch}: checks that synth lays out every family as llama.cpp expects.
     */
    public static ModelShape syntheticShape(String arch) {
        return new ModelShape("synth-" + arch, DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, 512, CONTEXT,
                arch.equals("llama") ? 10000f : 1_000_000f, 1e-6f, null, false, arch,
                arch.equals("qwen3") ? 32 : 0, 0);
    }

    public static void writeSynthetic(String arch, Path out) throws IOException {
        Map<String, Object> tokenizer = new LinkedHashMap<>();
        GgufReader.readHeader(TestModels.shared("models/stories260K.gguf")).metadata().forEach((k, v) -> {
            if (k.startsWith("tokenizer.")) {
                tokenizer.put(k, v);
            }
        });
        SyntheticModels.write(syntheticShape(arch), DType.F32, SEED, tokenizer, out);
    }

    /** {@code FAMILY OUT.gguf}, or {@code synth-ARCH OUT.gguf} for {@link #writeSynthetic}. */
    public static void main(String[] args) throws IOException {
        if (args[0].startsWith("synth-")) {
            writeSynthetic(args[0].substring("synth-".length()), Path.of(args[1]));
        } else {
            write(args[0], Path.of(args[1]));
        }
    }
}
