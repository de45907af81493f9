package io.jsteer.weights;

import java.util.List;
import java.util.Locale;

/** Preset shapes of known llama models, for synthetic models and benchmarks. */
public final class ModelShapes {

    private ModelShapes() {}

    /** Karpathy's stories260K (tied, GQA 8/4). */
    public static ModelShape stories260K() {
        return new ModelShape("stories260K", 64, 172, 5, 8, 4, 512, 512, 10000f, 1e-5f, null, true);
    }

    public static ModelShape stories15M() {
        return new ModelShape("stories15M", 288, 768, 6, 6, 6, 32000, 256, 10000f, 1e-5f, null, true);
    }

    public static ModelShape llama2_110m() {
        return new ModelShape("llama2-110m", 768, 2048, 12, 12, 12, 32000, 1024, 10000f, 1e-5f, null, true);
    }

    /** Llama 3.2 1B's shape (tied embeddings, llama3 RoPE scaling). */
    public static ModelShape llama32_1b() {
        return new ModelShape("llama3.2-1b", 2048, 8192, 16, 32, 8, 128256, 131072, 500000f, 1e-5f,
                new ModelShape.Llama3RopeScaling(32f, 1f, 4f, 8192), true);
    }

    /** Llama 2 7B's shape (untied classifier, no GQA, 4k context). */
    public static ModelShape llama2_7b() {
        return new ModelShape("llama2-7b", 4096, 11008, 32, 32, 32, 32000, 4096, 10000f, 1e-5f, null, false);
    }

    /** Llama 3.1 8B's shape (untied classifier, GQA 32/8, llama3 RoPE scaling, 128k context). */
    public static ModelShape llama31_8b() {
        return new ModelShape("llama3.1-8b", 4096, 14336, 32, 32, 8, 128256, 131072, 500000f, 1e-5f,
                new ModelShape.Llama3RopeScaling(8f, 1f, 4f, 8192), false);
    }

    /** Mistral 7B v0.1's shape: llama's block with GQA 32/8 and a 4096-token sliding window. */
    public static ModelShape mistral7b() {
        return new ModelShape("mistral-7b-v0.1", 4096, 14336, 32, 32, 8, 32000, 32768, 10000f, 1e-5f, null, false,
                "llama", 0, 4096);
    }

    /** TinyLlama 1.1B's shape (GQA 32/4, untied). */
    public static ModelShape tinyLlama() {
        return new ModelShape("tinyllama-1.1b", 2048, 5632, 22, 32, 4, 32000, 2048, 10000f, 1e-5f, null, false);
    }

    /** SmolLM2 135M's shape (30 narrow blocks, GQA 9/3, tied, RoPE base 1e5). */
    public static ModelShape smolLm2() {
        return new ModelShape("smollm2-135m", 576, 1536, 30, 9, 3, 49152, 8192, 100000f, 1e-5f, null, true);
    }

    /** Qwen2.5 0.5B's shape: qwen2 (q/k/v biases), GQA 14/2, tied, RoPE base 1e6. */
    public static ModelShape qwen25_05b() {
        return new ModelShape("qwen2.5-0.5b", 896, 4864, 24, 14, 2, 151936, 32768, 1_000_000f, 1e-6f, null, true,
                "qwen2", 0, 0);
    }

    /** Qwen3 0.6B's shape: qwen3 (per-head q/k norms), heads of 128 (16 x 128 = 2048 wider than the 1024 stream), tied. */
    public static ModelShape qwen3_06b() {
        return new ModelShape("qwen3-0.6b", 1024, 3072, 28, 16, 8, 151936, 40960, 1_000_000f, 1e-6f, null, true,
                "qwen3", 128, 0);
    }

    public static List<ModelShape> all() {
        return List.of(stories260K(), stories15M(), llama2_110m(), llama32_1b(), llama2_7b(), llama31_8b(),
                mistral7b(), tinyLlama(), smolLm2(), qwen25_05b(), qwen3_06b());
    }

    /** A preset by name (case-insensitive), e.g. "stories260K", "llama3.2-1b". */
    public static ModelShape byName(String name) {
        for (ModelShape s : all()) {
            if (s.name().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown model shape '" + name + "' (known: "
                + all().stream().map(ModelShape::name).toList() + ")");
    }
}
