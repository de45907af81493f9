package io.jsteer.weights.cvec;

import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.gguf.GgufReader;
import io.jsteer.weights.gguf.GgufTensorSpec;
import io.jsteer.weights.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes llama.cpp control-vector GGUF files, laid out as llama.cpp's own
 * cvector-generator writes them and as its loader ({@code common_control_vector_load_one} in
 * common/common.cpp) reads them:
 *
 * <ul>
 *   <li>metadata {@code general.architecture = "controlvector"} (string),
 *       {@code controlvector.model_hint} (string), {@code controlvector.layer_count} (int32);</li>
 *   <li>one tensor {@code direction.N} per addressed block, F32, one dimension of n_embd values;
 *       N ≥ 1, added to the output of 0-based block N ({@code build_cvec} after the FFN residual
 *       add in the llama graph).</li>
 * </ul>
 *
 * <p>The loader ignores the metadata; the reader here requires the architecture so that a model
 * file given by mistake is refused with a clear message.
 */
public final class ControlVectorFiles {

    public static final String ARCHITECTURE = "controlvector";
    public static final String KEY_ARCHITECTURE = "general.architecture";
    public static final String KEY_MODEL_HINT = "controlvector.model_hint";
    public static final String KEY_LAYER_COUNT = "controlvector.layer_count";

    /** Digits only: llama.cpp's std::stoi would also take "01" or "1x", but its generator never writes them. */
    private static final Pattern DIRECTION = Pattern.compile("direction\\.(\\d{1,9})");

    private ControlVectorFiles() {}

    /** Writes {@code vector} atomically as a GGUF v3 file llama.cpp loads with --control-vector. */
    public static void write(Path out, ControlVector vector) throws IOException {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put(KEY_ARCHITECTURE, ARCHITECTURE);
        metadata.put(KEY_MODEL_HINT, vector.modelHint());
        metadata.put(KEY_LAYER_COUNT, vector.layerCount()); // Integer → INT32, as the generator's gguf_set_val_i32
        List<GgufTensorSpec> tensors = new ArrayList<>();
        int width = vector.width();
        for (Map.Entry<Integer, float[]> e : vector.directions().entrySet()) {
            float[] values = e.getValue();
            tensors.add(new GgufTensorSpec("direction." + e.getKey(), DType.F32, new long[] {width},
                    sink -> sink.writeFloats(values, 0, values.length)));
        }
        GgufWriter.write(out, metadata, tensors);
    }

    /**
     * Reads a control-vector GGUF.
     *
     * @throws WeightFormatException naming the file and the field when it is not a control vector
     *                               llama.cpp would load
     */
    public static ControlVector read(Path file) {
        try (ModelWeights gguf = GgufReader.open(file)) {
            Map<String, Object> meta = gguf.metadata();
            Object arch = meta.get(KEY_ARCHITECTURE);
            if (!ARCHITECTURE.equals(arch)) {
                throw new WeightFormatException(file, KEY_ARCHITECTURE, "not a control vector (expected \"" + ARCHITECTURE
                        + "\"; a model file is loaded with -m, a control vector with --control-vector)", arch);
            }
            Object hint = meta.getOrDefault(KEY_MODEL_HINT, "");
            if (!(hint instanceof String hintText)) {
                throw new WeightFormatException(file, KEY_MODEL_HINT, "must be a string", hint);
            }
            TreeMap<Integer, float[]> directions = new TreeMap<>();
            int width = -1;
            for (TensorData t : gguf.tensors().values()) {
                String field = "tensor " + t.name();
                Matcher m = DIRECTION.matcher(t.name());
                if (!m.matches()) {
                    throw new WeightFormatException(file, field, "control-vector tensors must be named direction.N");
                }
                int layer = Integer.parseInt(m.group(1));
                if (layer == 0) {
                    throw new WeightFormatException(file, field, "llama.cpp rejects direction.0: block 0 cannot be addressed");
                }
                if (t.dtype() != DType.F32) {
                    throw new WeightFormatException(file, field, "must be F32 as llama.cpp requires", t.dtype());
                }
                if (t.rank() != 1) {
                    throw new WeightFormatException(file, field, "must have one dimension (n_embd)", java.util.Arrays.toString(t.shape()));
                }
                int n = Math.toIntExact(t.elementCount());
                if (width >= 0 && n != width) {
                    throw new WeightFormatException(file, field, "has " + n + " values but earlier directions have " + width, n);
                }
                width = n;
                float[] values = new float[n];
                t.data().copyTo(0, values, 0, n);
                for (int i = 0; i < n; i++) {
                    if (!Float.isFinite(values[i])) {
                        throw new WeightFormatException(file, field + "[" + i + "]", "not a finite number", values[i]);
                    }
                }
                float[] earlier = directions.put(layer, values);
                if (earlier != null) {
                    // direction.1 and direction.01 both parse to layer 1: keeping the later one would drop the other silently
                    throw new WeightFormatException(file, field, "is a second tensor for layer " + layer
                            + " (another name for the same direction.N is already in the file)");
                }
            }
            if (directions.isEmpty()) {
                throw new WeightFormatException(file, "tensors", "no direction.N tensors");
            }
            int layerCount = directions.lastKey();
            Object count = meta.get(KEY_LAYER_COUNT);
            if (count != null) {
                if (!(count instanceof Long c) || c < 0 || c > Integer.MAX_VALUE) {
                    throw new WeightFormatException(file, KEY_LAYER_COUNT, "must be a non-negative integer", count);
                }
                // Files in the wild write the number of directions (a partial set) rather than the
                // highest index; keep the larger so the record stays consistent.
                layerCount = Math.max(layerCount, (int) (long) c);
            }
            return new ControlVector(hintText, layerCount, directions);
        }
    }
}
