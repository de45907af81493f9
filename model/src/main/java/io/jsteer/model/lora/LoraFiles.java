package io.jsteer.model.lora;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LoRA adapter files: float32 safetensors with one {@code blk.L.T.lora_a [rank, in]} and
 * {@code blk.L.T.lora_b [out, rank]} per block L and target T (q, k, v, o, gate, up, down), and
 * a {@link LoraMetadata} JSON under {@code __metadata__["jsteer.lora"]}. Written atomically
 * (temporary file, then rename); read back into a float32 adapter after checking every field and
 * shape against the model.
 */
public final class LoraFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LoraFiles() {}

    static String tensorName(int layer, LoraTarget t, String matrix) {
        return "blk." + layer + "." + t.label() + ".lora_" + matrix;
    }

    /** Writes {@code adapter} (its current values, as float32) with {@code modelName} as provenance. */
    public static void save(Path file, LoraAdapter adapter, LlamaConfig c, String modelName) throws IOException {
        adapter.validate(c);
        LoraMetadata meta = new LoraMetadata(LoraMetadata.FORMAT, modelName, adapter.rank(), adapter.alpha(),
                adapter.labels(), adapter.layers(), c.dim());
        List<SafetensorsTensor> tensors = new ArrayList<>();
        for (int l = 0; l < adapter.layers(); l++) {
            for (LoraTarget t : adapter.targets()) {
                tensors.add(tensor(tensorName(l, t, "a"), adapter.a(l, t)));
                tensors.add(tensor(tensorName(l, t, "b"), adapter.b(l, t)));
            }
        }
        SafetensorsWriter.write(file, Map.of(LoraMetadata.KEY, JSON.writeValueAsString(meta)), tensors);
    }

    private static SafetensorsTensor tensor(String name, Var v) {
        return new SafetensorsTensor(name, Arrays.stream(v.shape()).asLongStream().toArray(), v.toFloatArray());
    }

    /** The metadata of an adapter file, checked for format and sane values. */
    public static LoraMetadata metadata(Path file) {
        try (ModelWeights w = SafetensorsReader.open(file)) {
            return metadata(file, w);
        }
    }

    private static LoraMetadata metadata(Path file, ModelWeights w) {
        Object raw = w.metadata().get(LoraMetadata.KEY);
        if (!(raw instanceof String json)) {
            throw new WeightFormatException(file, "__metadata__." + LoraMetadata.KEY, "missing: not a jsteer LoRA adapter file");
        }
        LoraMetadata meta;
        try {
            meta = JSON.readValue(json, LoraMetadata.class);
        } catch (JsonProcessingException e) {
            throw new WeightFormatException(file, "__metadata__." + LoraMetadata.KEY, "invalid JSON: " + e.getOriginalMessage());
        }
        if (!LoraMetadata.FORMAT.equals(meta.format())) {
            throw new WeightFormatException(file, "format", "expected " + LoraMetadata.FORMAT, meta.format());
        }
        if (meta.rank() < 1) {
            throw new WeightFormatException(file, "rank", "must be at least 1", meta.rank());
        }
        if (!(meta.alpha() > 0)) {
            throw new WeightFormatException(file, "alpha", "must be positive", meta.alpha());
        }
        if (meta.targets() == null || meta.targets().isEmpty()) {
            throw new WeightFormatException(file, "targets", "must name at least one projection");
        }
        return meta;
    }

    /**
     * Reads an adapter for the model {@code c} as float32 parameters (trainable further).
     *
     * @throws WeightFormatException naming the file and the field or tensor that does not fit
     */
    public static LoraAdapter load(Path file, LlamaConfig c) {
        try (ModelWeights w = SafetensorsReader.open(file)) {
            LoraMetadata meta = metadata(file, w);
            if (meta.layers() != c.nLayers()) {
                throw new WeightFormatException(file, "layers", "the adapter has " + meta.layers() + " blocks, the model has "
                        + c.nLayers());
            }
            if (meta.dim() != c.dim()) {
                throw new WeightFormatException(file, "dim", "the adapter is for width " + meta.dim() + ", the model width is "
                        + c.dim());
            }
            Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
            for (String label : meta.targets()) {
                try {
                    targets.add(LoraTarget.parse(label));
                } catch (IllegalArgumentException e) {
                    throw new WeightFormatException(file, "targets", e.getMessage());
                }
            }
            int n = LoraTarget.values().length;
            Var[][] a = new Var[c.nLayers()][n], b = new Var[c.nLayers()][n];
            Set<String> expected = new java.util.HashSet<>();
            for (int l = 0; l < c.nLayers(); l++) {
                for (LoraTarget t : targets) {
                    a[l][t.ordinal()] = read(file, w, tensorName(l, t, "a"), meta.rank(), t.inFeatures(c));
                    b[l][t.ordinal()] = read(file, w, tensorName(l, t, "b"), t.outFeatures(c), meta.rank());
                    expected.add(tensorName(l, t, "a"));
                    expected.add(tensorName(l, t, "b"));
                }
            }
            List<String> extra = w.tensors().keySet().stream().filter(name -> !expected.contains(name)).toList();
            if (!extra.isEmpty()) {
                throw new WeightFormatException(file, "tensors", "not part of an adapter for targets " + meta.targets(), extra);
            }
            return LoraAdapter.of(c, meta.rank(), meta.alpha(), targets, a, b);
        }
    }

    private static Var read(Path file, ModelWeights w, String name, int rows, int cols) {
        if (!w.hasTensor(name)) {
            throw new WeightFormatException(file, "tensor " + name, "missing");
        }
        TensorData t = w.tensor(name);
        if (t.dtype() != DType.F32) {
            throw new WeightFormatException(file, "tensor " + name, "must be F32", t.dtype());
        }
        long[] shape = t.shape();
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
            throw new WeightFormatException(file, "tensor " + name, "has shape " + Arrays.toString(shape)
                    + ", the model needs [" + rows + ", " + cols + "]");
        }
        return Var.param(Precision.F32, t.data().toFloatArray(), rows, cols).named(name);
    }
}
