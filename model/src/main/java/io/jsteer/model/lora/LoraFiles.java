package io.jsteer.model.lora;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.RopeStyle;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.quant.RopePermutation;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LoRA adapters as PEFT directories: {@code adapter_model.safetensors} with float32
 * {@code base_model.model.model.layers.L.self_attn.q_proj.lora_A.weight [r, in]} /
 * {@code ...lora_B.weight [out, r]} (self_attn q/k/v/o_proj, mlp gate/up/down_proj) and
 * {@code adapter_config.json} ({@link LoraMetadata}). The q/k lora_B rows are stored in Hugging
 * Face's (neox) order, as PEFT adapters for HF Llama models are; for a model that pairs RoPE
 * dimensions GGUF-style they are permuted on save and load ({@link RopePermutation}). The
 * directory is written under a temporary name and renamed, so a reader never sees half of it.
 */
public final class LoraFiles {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final Pattern PEFT_NAME = Pattern.compile(
            "base_model\\.model\\.model\\.layers\\.(\\d+)\\.(self_attn|mlp)\\.(\\w+)\\.lora_([AB])\\.weight");

    private LoraFiles() {}

    /** The HF module name of a target: q_proj ... down_proj. */
    static String module(LoraTarget t) {
        return t.label() + "_proj";
    }

    /** The PEFT tensor name of one matrix ({@code matrix} "A" or "B"). */
    public static String tensorName(int layer, LoraTarget t, String matrix) {
        String block = switch (t) {
            case Q, K, V, O -> "self_attn";
            case GATE, UP, DOWN -> "mlp";
        };
        return "base_model.model.model.layers." + layer + "." + block + "." + module(t) + ".lora_" + matrix + ".weight";
    }

    /**
     * Writes {@code adapter} (current values, float32) into directory {@code dir} (replacing it),
     * with {@code baseModel} as provenance. Its dropout goes to {@code lora_dropout}, its adapted
     * blocks to {@code layers_to_transform} (null when every block is adapted); tensors exist for
     * exactly the adapted blocks.
     */
    public static void save(Path dir, LoraAdapter adapter, LlamaConfig c, String baseModel) throws IOException {
        adapter.validate(c);
        List<String> modules = adapter.targets().stream().map(LoraFiles::module).toList();
        LoraMetadata meta = LoraMetadata.of(baseModel, adapter.rank(), adapter.alpha(), adapter.dropout(), modules,
                adapter.layersToTransform(), adapter.layers(), c.dim());
        List<SafetensorsTensor> tensors = new ArrayList<>();
        for (int l : adapter.adaptedLayers()) {
            for (LoraTarget t : adapter.targets()) {
                Var a = adapter.a(l, t), b = adapter.b(l, t);
                tensors.add(new SafetensorsTensor(tensorName(l, t, "A"), shape(a), a.toFloatArray()));
                float[] bValues = b.toFloatArray();
                if (permutes(c, t)) {
                    bValues = permuteRows(bValues, b.dim(0), b.dim(1), c.headSize(), true);
                }
                tensors.add(new SafetensorsTensor(tensorName(l, t, "B"), shape(b), bValues));
            }
        }
        byte[] json = JSON.writeValueAsBytes(meta);
        // the directory is the artefact: built aside and swapped in whole (a kill mid-swap is undone by the next read or write)
        AtomicFileWriter.writeDirectory(dir, temp -> {
            SafetensorsWriter.write(temp.resolve(LoraMetadata.WEIGHTS_FILE), Map.of("format", "pt"), tensors);
            AtomicFileWriter.write(temp.resolve(LoraMetadata.CONFIG_FILE), out -> out.bytes(json));
        });
    }

    private static long[] shape(Var v) {
        return Arrays.stream(v.shape()).asLongStream().toArray();
    }

    /** Whether the q/k rows of this model differ from the file's (HF, neox) order. */
    private static boolean permutes(LlamaConfig c, LoraTarget t) {
        return (t == LoraTarget.Q || t == LoraTarget.K) && c.ropeStyle() == RopeStyle.NORMAL;
    }

    /**
     * Reorders the rows of a {@code [rows, cols]} matrix between the engine's normal-RoPE order and
     * HF's neox order ({@code toNeox}: engine → file).
     */
    private static float[] permuteRows(float[] m, int rows, int cols, int headSize, boolean toNeox) {
        float[] out = new float[m.length];
        for (int r = 0; r < rows; r++) {
            long source = toNeox ? RopePermutation.normalRowForNeoxRow(r, headSize)
                    : RopePermutation.neoxRowForNormalRow(r, headSize);
            System.arraycopy(m, Math.toIntExact(source) * cols, out, r * cols, cols);
        }
        return out;
    }

    /** The config of an adapter directory, checked for PEFT type and sane values. */
    public static LoraMetadata metadata(Path dir) {
        Path file = dir.resolve(LoraMetadata.CONFIG_FILE);
        AtomicFileWriter.recoverDirectory(dir); // a replacement killed between its two renames left the old tree aside
        if (!Files.isDirectory(dir)) {
            throw new WeightFormatException(dir, "adapter directory", Files.exists(dir)
                    ? "is a file; a LoRA adapter is a directory with " + LoraMetadata.CONFIG_FILE + " and " + LoraMetadata.WEIGHTS_FILE
                    : "does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new WeightFormatException(file, LoraMetadata.CONFIG_FILE, "missing: not a LoRA adapter directory");
        }
        LoraMetadata meta;
        try {
            meta = JSON.readValue(InputFiles.readText("", file, InputFiles.TEXT_LIMIT), LoraMetadata.class);
        } catch (IOException e) {
            throw new WeightFormatException(file, "json", "unreadable: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (!LoraMetadata.PEFT_TYPE.equals(meta.peftType())) {
            throw new WeightFormatException(file, "peft_type", "expected " + LoraMetadata.PEFT_TYPE, meta.peftType());
        }
        if (meta.rank() < 1) {
            throw new WeightFormatException(file, "r", "must be at least 1", meta.rank());
        }
        if (!(meta.alpha() > 0) || !Double.isFinite(meta.alpha())) {
            throw new WeightFormatException(file, "lora_alpha", "must be positive", meta.alpha());
        }
        if (!(meta.dropout() >= 0 && meta.dropout() < 1)) {
            throw new WeightFormatException(file, "lora_dropout", "must be in [0, 1)", meta.dropout());
        }
        if (meta.targetModules() == null || meta.targetModules().isEmpty()) {
            throw new WeightFormatException(file, "target_modules", "must name at least one projection");
        }
        if (meta.layersToTransform() != null) {
            if (meta.layersToTransform().isEmpty()) {
                throw new WeightFormatException(file, "layers_to_transform", "is an empty list (null means every block)");
            }
            Set<Integer> seen = new HashSet<>();
            for (Integer l : meta.layersToTransform()) {
                if (l == null || l < 0) {
                    throw new WeightFormatException(file, "layers_to_transform", "block indices must be 0 or more", l);
                }
                if (!seen.add(l)) {
                    throw new WeightFormatException(file, "layers_to_transform", "lists block " + l + " twice");
                }
                if (meta.jsteerLayers() > 0 && l >= meta.jsteerLayers()) {
                    throw new WeightFormatException(file, "layers_to_transform", "block " + l + " is outside the "
                            + meta.jsteerLayers() + " blocks of jsteer_layers");
                }
            }
        }
        if (meta.fanInFanOut()) {
            throw new WeightFormatException(file, "fan_in_fan_out", "must be false (Llama projections are [out, in])");
        }
        if (meta.jsteerQkRows() != null && !meta.jsteerQkRows().equals("neox")) {
            throw new WeightFormatException(file, "jsteer_qk_rows", "must be neox (Hugging Face row order)", meta.jsteerQkRows());
        }
        return meta;
    }

    /**
     * Reads an adapter directory for the model {@code c} as float32 parameters (trainable further).
     *
     * @throws WeightFormatException naming the file and the field or tensor that does not fit
     */
    public static LoraAdapter load(Path dir, LlamaConfig c) {
        LoraMetadata meta = metadata(dir);
        Path config = dir.resolve(LoraMetadata.CONFIG_FILE);
        Path file = dir.resolve(LoraMetadata.WEIGHTS_FILE);
        if (meta.jsteerLayers() != 0 && meta.jsteerLayers() != c.nLayers()) {
            throw new WeightFormatException(config, "jsteer_layers", "the adapter has " + meta.jsteerLayers()
                    + " blocks, the model has " + c.nLayers());
        }
        if (meta.jsteerDim() != 0 && meta.jsteerDim() != c.dim()) {
            throw new WeightFormatException(config, "jsteer_dim", "the adapter is for width " + meta.jsteerDim()
                    + ", the model width is " + c.dim());
        }
        if (meta.layersToTransform() != null) {
            for (int l : meta.layersToTransform()) {
                if (l >= c.nLayers()) {
                    throw new WeightFormatException(config, "layers_to_transform", "block " + l + " does not exist: the model has "
                            + c.nLayers() + " blocks (0.." + (c.nLayers() - 1) + ")");
                }
            }
        }
        Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
        for (String label : meta.targetModules()) {
            try {
                targets.add(LoraTarget.parse(label));
            } catch (IllegalArgumentException e) {
                throw new WeightFormatException(config, "target_modules", e.getMessage());
            }
        }
        if (!Files.isRegularFile(file)) {
            throw new WeightFormatException(file, LoraMetadata.WEIGHTS_FILE, "missing from the adapter directory");
        }
        try (ModelWeights w = SafetensorsReader.open(file)) {
            for (String name : w.tensors().keySet()) {
                Matcher m = PEFT_NAME.matcher(name);
                if (!m.matches()) {
                    throw new WeightFormatException(file, "tensor " + name, "not a PEFT LoRA tensor name "
                            + "(base_model.model.model.layers.L.self_attn|mlp.X_proj.lora_A|B.weight)");
                }
                if (Integer.parseInt(m.group(1)) >= c.nLayers()) {
                    throw new WeightFormatException(file, "tensor " + name, "block " + m.group(1) + " does not exist: the model has "
                            + c.nLayers() + " blocks");
                }
            }
            LoraSpec spec = new LoraSpec(meta.rank(), meta.alpha(), targets, meta.dropout(), meta.layersToTransform());
            int n = LoraTarget.values().length;
            Var[][] a = new Var[c.nLayers()][n], b = new Var[c.nLayers()][n];
            Set<String> expected = new HashSet<>();
            for (int l : spec.adaptedLayers(c.nLayers())) {
                for (LoraTarget t : targets) {
                    a[l][t.ordinal()] = read(file, w, tensorName(l, t, "A"), meta.rank(), t.inFeatures(c), null);
                    b[l][t.ordinal()] = read(file, w, tensorName(l, t, "B"), t.outFeatures(c), meta.rank(),
                            permutes(c, t) ? c : null);
                    expected.add(tensorName(l, t, "A"));
                    expected.add(tensorName(l, t, "B"));
                }
            }
            List<String> extra = w.tensors().keySet().stream().filter(name -> !expected.contains(name)).toList();
            if (!extra.isEmpty()) {
                throw new WeightFormatException(file, "tensors", "not part of an adapter for target_modules "
                        + meta.targetModules() + " on layers_to_transform " + (meta.layersToTransform() == null ? "null (every block)"
                        : meta.layersToTransform()), extra);
            }
            return LoraAdapter.of(c, spec, a, b);
        }
    }

    /** One matrix; {@code permuteFor} non-null: q/k lora_B rows go from the file's neox order to the model's. */
    private static Var read(Path file, ModelWeights w, String name, int rows, int cols, LlamaConfig permuteFor) {
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
        float[] values = t.data().toFloatArray();
        if (permuteFor != null) {
            values = permuteRows(values, rows, cols, permuteFor.headSize(), false);
        }
        return Var.param(Precision.F32, values, rows, cols).named(name);
    }
}
