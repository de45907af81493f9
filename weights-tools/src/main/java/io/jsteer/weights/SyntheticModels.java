package io.jsteer.weights;

import io.jsteer.tensor.DType;
import io.jsteer.weights.gguf.GgufTensorSpec;
import io.jsteer.weights.gguf.GgufWriter;
import io.jsteer.weights.quant.GgufConverter;
import io.jsteer.weights.quant.TensorEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Random-weight llama models of a given {@link ModelShape}, written as GGUF: for tests and
 * benchmarks of shapes whose real weights are not at hand. Weights are N(0, 0.02²), the
 * residual-stream output projections ({@code attn_output}, {@code ffn_down}) further scaled by
 * 1/sqrt(2·layers) as in GPT-2's initialisation so activations stay bounded through depth; norms
 * are 1 and biases N(0, 0.02²). Each row has its own generator seeded from (seed, tensor, row), so rows are generated in
 * parallel and the file is the same for the same seed whatever the core count.
 */
public final class SyntheticModels {

    public static final double WEIGHT_STD = 0.02;
    /** Floats generated per parallel batch: bounds memory whatever the shape. */
    private static final long BATCH_FLOATS = 1 << 20;

    private SyntheticModels() {}

    public static void write(ModelShape shape, DType dtype, long seed, Path out) throws IOException {
        write(shape, dtype, seed, Map.of(), out);
    }

    /**
     * @param extraMetadata added to (and overriding) the shape's metadata, e.g. a vocabulary's
     *                      {@code tokenizer.ggml.*} keys
     */
    public static void write(ModelShape shape, DType dtype, long seed, Map<String, Object> extraMetadata, Path out)
            throws IOException {
        Map<String, Object> metadata = new LinkedHashMap<>(shape.metadata());
        metadata.put(LlamaKeys.FILE_TYPE, (long) GgufConverter.fileType(dtype));
        if (dtype.isQuantized()) {
            metadata.put(LlamaKeys.QUANTIZATION_VERSION, 2L);
        }
        metadata.put("jsteer.synthetic.seed", seed);
        metadata.putAll(extraMetadata);

        List<ModelShape.TensorShape> layout = shape.tensors();
        List<GgufTensorSpec> specs = new ArrayList<>();
        for (int i = 0; i < layout.size(); i++) {
            ModelShape.TensorShape t = layout.get(i);
            long[] s = t.shape();
            DType type = GgufConverter.storedType(s.length, s[s.length - 1], dtype);
            long tensorSeed = mix(seed, i);
            double std = std(shape, t.name());
            specs.add(new GgufTensorSpec(t.name(), type, s, sink -> {
                if (s.length == 1) {
                    float[] v = t.name().endsWith(".bias") ? randomRow(tensorSeed, 0, (int) s[0], std) : new float[(int) s[0]];
                    if (!t.name().endsWith(".bias")) {
                        java.util.Arrays.fill(v, 1f); // norm weights
                    }
                    sink.writeFloats(v, 0, v.length);
                    return;
                }
                int cols = (int) s[1];
                int rows = (int) s[0];
                int batch = (int) Math.max(1, BATCH_FLOATS / cols);
                for (int r0 = 0; r0 < rows; r0 += batch) {
                    int start = r0;
                    int n = Math.min(batch, rows - r0);
                    byte[][] encoded = IntStream.range(0, n).parallel()
                            .mapToObj(k -> TensorEncoder.encode(type, randomRow(tensorSeed, start + k, cols, std)))
                            .toArray(byte[][]::new);
                    for (byte[] b : encoded) {
                        sink.writeBytes(b);
                    }
                }
            }));
        }
        GgufWriter.write(out, metadata, specs);
    }

    private static double std(ModelShape shape, String name) {
        boolean residualOutput = name.endsWith(".attn_output.weight") || name.endsWith(".ffn_down.weight");
        return residualOutput ? WEIGHT_STD / Math.sqrt(2.0 * shape.layers()) : WEIGHT_STD;
    }

    static float[] randomRow(long tensorSeed, long row, int cols, double std) {
        SplittableRandom random = new SplittableRandom(mix(tensorSeed, row));
        float[] v = new float[cols];
        for (int j = 0; j < cols; j++) {
            v[j] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    /** Stafford's mix13 of a combination of two values: independent-looking seeds per (a, b). */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
