package io.jsteer.bench.peers;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * Jlama 0.8.4 (pure Java, Vector API) on the HF directory of {@link PeerModels}, loaded by its own
 * {@code ModelSupport.loadModel}: F32 weights and working memory ({@link Format#F32}), or weights
 * quantized by Jlama's own quantizer into its formats ({@link Format#BF16}; {@link Format#Q4} with
 * activations quantized to int8, as Jlama's CLI runs its Q4 models). Greedy decode
 * goes through Jlama's {@code forward} (one token, its KV cache) and {@code sample} at temperature 0;
 * prefill through its {@code batchForward}.
 *
 * <p>On JDK 25 Jlama needs {@code --add-modules jdk.incubator.vector} (jsteer's launcher passes it) and
 * nothing else: its classes are Java 20 bytecode without preview features. Its optional JNI kernels
 * (jlama-native) are not used; {@code jlama.force_panama_tensor_operations} makes it pick its Vector API
 * kernels without probing for them. Its thread pool is process-wide and sized once.
 */
public final class JlamaPeer implements Peer {

    /** The weight formats Jlama computes in. */
    public enum Format {
        F32(null, "F32"),
        /** Jlama's Panama kernels multiply bf16 by bf16 only, so activations are bf16 too. */
        BF16(DType.BF16, "Jlama BF16: bf16 weights and activations"),
        Q4(DType.Q4, "Jlama Q4: 4-bit, blocks of 32 with one f32 scale; int8 activations");

        final DType modelType;
        final String description;

        Format(DType modelType, String description) {
            this.modelType = modelType;
            this.description = description;
        }

        public static Format parse(String s) {
            for (Format f : values()) {
                if (f.name().equalsIgnoreCase(s)) {
                    return f;
                }
            }
            if (s.equalsIgnoreCase("q8")) {
                // its int8 tensor type exists, but its matmul kernels take int8 only as activations against Q4 weights
                throw new IllegalArgumentException("Jlama 0.8.4 has no 8-bit weight matmul (int8 is its activation type for Q4): "
                        + "use f32, bf16 or q4");
            }
            throw new IllegalArgumentException("unknown Jlama format '" + s + "' (f32, bf16, q4)");
        }
    }

    private final AbstractModel model;
    private final String deviation;
    private final Format format;
    private final KvBufferCache caches;
    private final AbstractTensor logits;
    private KvBufferCache.KvBuffer kv;

    public JlamaPeer(Path hfDir, Format format, int threads) {
        System.setProperty("jlama.force_panama_tensor_operations", "true");
        useThreads(threads);
        this.format = format;
        Path dir;
        try {
            dir = format == Format.F32 ? hfDir : PeerModels.ensureJlamaQuantized(hfDir, format.modelType);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot quantize " + hfDir + " for Jlama", e);
        }
        DType working = format == Format.BF16 ? DType.BF16 : DType.F32;
        DType workingQ = switch (format) {
            case F32 -> DType.F32;
            case BF16 -> DType.BF16;
            case Q4 -> DType.I8;
        };
        model = ModelSupport.loadModel(AbstractModel.InferenceType.FULL_GENERATION, dir.toFile(), null, working, workingQ,
                Optional.empty(), Optional.empty(), Optional.empty(), SafeTensorSupport::loadWeights);
        caches = new KvBufferCache(model);
        io.jsteer.weights.safetensors.HfConfig hf = io.jsteer.weights.safetensors.HfConfig.read(hfDir.resolve("config.json"));
        deviation = hf.ropeScaling() != null && !"linear".equals(hf.ropeScaling().type())
                ? "Jlama 0.8.4 ignores " + hf.ropeScaling().type() + " rope_scaling" : null;
        logits = model.makeDenseTensor(model.getConfig().vocabularySize);
    }

    /** Jlama sizes its one ForkJoinPool once per process: set it, or check that it already has this size. */
    private static void useThreads(int threads) {
        try {
            PhysicalCoreExecutor.overrideThreadCount(threads);
        } catch (IllegalStateException alreadyStarted) {
            int has = PhysicalCoreExecutor.instance.get().getCoreCount();
            if (has != threads) {
                throw new IllegalStateException("Jlama's thread pool already runs " + has + " threads in this process, not "
                        + threads + " (it is sized once per JVM)");
            }
        }
    }

    @Override
    public String name() { return "jlama"; }

    @Override
    public String knownDeviation() { return deviation; }

    @Override
    public String weights() { return format.description; }

    @Override
    public int prefill(int[] prompt) {
        if (kv != null) {
            kv.close();
        }
        kv = caches.getKvBuffer(UUID.randomUUID());
        try (AbstractTensor out = model.batchForward(prompt, 0, kv)) {
            return model.sample(out.slice(out.shape().first() - 1), 0f, 0f, logits);
        }
    }

    @Override
    public int decode(int token, int pos) {
        try (AbstractTensor out = model.forward(token, pos, kv, Optional.empty())) {
            return model.sample(out, 0f, 0f, logits);
        }
    }

    /** Jlama's sample() leaves the raw logits in the tensor it was given. */
    @Override
    public float[] lastLogits() {
        float[] out = new float[model.getConfig().vocabularySize];
        for (int i = 0; i < out.length; i++) {
            out[i] = logits.get(0, i);
        }
        return out;
    }

    @Override
    public void close() {
        if (kv != null) {
            kv.close();
        }
        logits.close();
        caches.close();
        model.close();
    }
}
