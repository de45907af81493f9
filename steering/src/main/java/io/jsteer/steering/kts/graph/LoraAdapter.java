package io.jsteer.steering.kts.graph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * LoRA on frozen Llama projections: {@code W' x = W x + (α/r) · B (A x)} with {@code A [r, in]}
 * and {@code B [out, r]}; B starts at zero, so a fresh adapter leaves the model unchanged. Saved
 * as PEFT does: {@code adapter_model.safetensors} with names
 * {@code base_model.model.model.layers.L.self_attn.q_proj.lora_A.weight} and
 * {@code adapter_config.json}.
 *
 * <p>Interim copy for KTS until the train branch's io.jsteer.model.lora lands; dropout is not
 * supported (the spec uses 0).
 */
public final class LoraAdapter {

    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String CONFIG_FILE = "adapter_config.json";

    /** Rank, alpha, the projections and blocks that carry an adapter. */
    public record Settings(int rank, double alpha, Set<LoraProjection> targets, Set<Integer> layers) {
        public Settings {
            if (rank < 1) {
                throw new IllegalArgumentException("LoRA rank must be at least 1, got " + rank);
            }
            if (!(alpha > 0)) {
                throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
            }
            if (targets.isEmpty() || layers.isEmpty()) {
                throw new IllegalArgumentException("LoRA needs at least one target projection and one block");
            }
            targets = Set.copyOf(targets);
            layers = Set.copyOf(new TreeSet<>(layers));
        }

        /** All seven projections in every block. */
        public static Settings allLinear(int rank, double alpha, int nLayers) {
            Set<Integer> all = new TreeSet<>();
            for (int l = 0; l < nLayers; l++) {
                all.add(l);
            }
            return new Settings(rank, alpha, EnumSet.allOf(LoraProjection.class), all);
        }

        public double scale() { return alpha / rank; }
    }

    private final LlamaConfig config;
    private final Settings settings;
    private final Var[][] a; // [layer][projection] A [r, in], null where not adapted
    private final Var[][] b; // [layer][projection] B [out, r]

    private LoraAdapter(LlamaConfig config, Settings settings, Var[][] a, Var[][] b) {
        this.config = config;
        this.settings = settings;
        this.a = a;
        this.b = b;
    }

    /** A fresh adapter: A ~ U(−1/√in, 1/√in) (PEFT's Kaiming-uniform with a = √5), B = 0. */
    public static LoraAdapter initialise(LlamaConfig c, Settings s, long seed) {
        for (int l : s.layers()) {
            if (l >= c.nLayers()) {
                throw new IllegalArgumentException("LoRA block " + l + " is past the model's last block " + (c.nLayers() - 1));
            }
        }
        Random rnd = new Random(seed);
        int n = LoraProjection.values().length;
        Var[][] a = new Var[c.nLayers()][n], b = new Var[c.nLayers()][n];
        for (int l = 0; l < c.nLayers(); l++) {
            for (LoraProjection p : LoraProjection.values()) {
                if (!s.layers().contains(l) || !s.targets().contains(p)) {
                    continue;
                }
                int in = p.inFeatures(c), out = p.outFeatures(c);
                float[] init = new float[s.rank() * in];
                double bound = 1 / Math.sqrt(in);
                for (int i = 0; i < init.length; i++) {
                    init[i] = (float) ((2 * rnd.nextDouble() - 1) * bound);
                }
                a[l][p.ordinal()] = Var.param(Precision.F32, init, s.rank(), in).named(name(l, p, "A"));
                b[l][p.ordinal()] = Var.zerosParam(Precision.F32, out, s.rank()).named(name(l, p, "B"));
            }
        }
        return new LoraAdapter(c, s, a, b);
    }

    public Settings settings() { return settings; }

    public LlamaConfig config() { return config; }

    /** The trainable tensors, A then B for every adapted (block, projection), in a fixed order. */
    public List<Var> parameters() {
        List<Var> out = new ArrayList<>();
        for (int l = 0; l < config.nLayers(); l++) {
            for (LoraProjection p : LoraProjection.values()) {
                if (a[l][p.ordinal()] != null) {
                    out.add(a[l][p.ordinal()]);
                    out.add(b[l][p.ordinal()]);
                }
            }
        }
        return out;
    }

    /** Adds the low-rank branch to {@code base = x·Wᵀ}: {@code base + s · (x Aᵀ) Bᵀ}; x {@code [T, in]}. */
    public Var apply(Tape tape, Var x, Var base, int layer, LoraProjection p) {
        Var pa = a[layer][p.ordinal()];
        if (pa == null) {
            return base;
        }
        Var low = tape.linear(tape.linear(x, pa), b[layer][p.ordinal()]); // [T, r] then [T, out]
        return tape.add(base, tape.scale(low, settings.scale()));
    }

    /**
     * The base weights with every adapted projection replaced by the F32 matrix
     * {@code W + s · B A} (norms and embeddings are shared): an ordinary model for any engine.
     */
    public LlamaWeights mergeInto(LlamaWeights w) {
        FloatTensor[] wq = merged(w.wq(), LoraProjection.Q), wk = merged(w.wk(), LoraProjection.K);
        FloatTensor[] wv = merged(w.wv(), LoraProjection.V), wo = merged(w.wo(), LoraProjection.O);
        FloatTensor[] w1 = merged(w.w1(), LoraProjection.GATE), w3 = merged(w.w3(), LoraProjection.UP);
        FloatTensor[] w2 = merged(w.w2(), LoraProjection.DOWN);
        return new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), wq, wk, wv, wo, w.ffnNorm(), w1, w2, w3,
                w.outputNorm(), w.classifier());
    }

    private FloatTensor[] merged(FloatTensor[] base, LoraProjection p) {
        FloatTensor[] out = base.clone();
        int in = p.inFeatures(config), rows = p.outFeatures(config), r = settings.rank();
        double s = settings.scale();
        for (int l = 0; l < base.length; l++) {
            Var pa = a[l][p.ordinal()];
            if (pa == null) {
                continue;
            }
            float[] wm = new float[rows * in];
            base[l].copyTo(0, wm, 0, wm.length);
            float[] av = pa.toFloatArray(), bv = b[l][p.ordinal()].toFloatArray();
            for (int o = 0; o < rows; o++) {
                for (int k = 0; k < r; k++) {
                    double coef = s * bv[o * r + k];
                    if (coef != 0) {
                        for (int i = 0; i < in; i++) {
                            wm[o * in + i] += (float) (coef * av[k * in + i]);
                        }
                    }
                }
            }
            out[l] = FloatTensor.of(wm);
        }
        return out;
    }

    /** Copies every parameter value of {@code other} (same settings) into this adapter. */
    public void copyFrom(LoraAdapter other) {
        List<Var> mine = parameters(), theirs = other.parameters();
        if (!settings.equals(other.settings) || mine.size() != theirs.size()) {
            throw new IllegalArgumentException("adapters differ in settings: " + settings + " vs " + other.settings);
        }
        for (int i = 0; i < mine.size(); i++) {
            float[] v = theirs.get(i).toFloatArray();
            for (int j = 0; j < v.length; j++) {
                mine.get(i).data().set(j, v[j]);
            }
        }
    }

    // ---- files ------------------------------------------------------------------------------

    static String name(int layer, LoraProjection p, String ab) {
        return "base_model.model.model.layers." + layer + "." + p.module() + ".lora_" + ab + ".weight";
    }

    /** Writes adapter_model.safetensors and adapter_config.json into {@code dir} (each atomically). */
    public void save(Path dir, Map<String, String> provenance) throws IOException {
        Files.createDirectories(dir);
        List<SafetensorsTensor> tensors = new ArrayList<>();
        for (int l = 0; l < config.nLayers(); l++) {
            for (LoraProjection p : LoraProjection.values()) {
                Var pa = a[l][p.ordinal()];
                if (pa != null) {
                    Var pb = b[l][p.ordinal()];
                    tensors.add(new SafetensorsTensor(name(l, p, "A"), new long[] {pa.dim(0), pa.dim(1)}, pa.toFloatArray()));
                    tensors.add(new SafetensorsTensor(name(l, p, "B"), new long[] {pb.dim(0), pb.dim(1)}, pb.toFloatArray()));
                }
            }
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), provenance, tensors);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = json.createObjectNode();
        cfg.put("peft_type", "LORA");
        cfg.put("task_type", "CAUSAL_LM");
        cfg.put("r", settings.rank());
        cfg.put("lora_alpha", settings.alpha());
        cfg.put("lora_dropout", 0.0);
        cfg.put("bias", "none");
        var targets = cfg.putArray("target_modules");
        for (LoraProjection p : LoraProjection.values()) {
            if (settings.targets().contains(p)) {
                targets.add(p.shortName());
            }
        }
        var layers = cfg.putArray("layers_to_transform");
        settings.layers().stream().sorted().forEach(layers::add);
        byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg);
        AtomicFileWriter.write(dir.resolve(CONFIG_FILE), out -> out.bytes(bytes));
    }

    /** Reads an adapter written by {@link #save} (or PEFT with the same names) for a model of config {@code c}. */
    public static LoraAdapter load(Path dir, LlamaConfig c) throws IOException {
        Path cfgFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(cfgFile)) {
            throw new java.nio.file.NoSuchFileException(cfgFile.toString());
        }
        JsonNode cfg = new ObjectMapper().readTree(Files.readString(cfgFile, StandardCharsets.UTF_8));
        if (!cfg.has("r") || !cfg.has("lora_alpha") || !cfg.has("target_modules")) {
            throw new IllegalArgumentException(cfgFile + ": needs fields r, lora_alpha and target_modules");
        }
        if (cfg.path("lora_dropout").asDouble(0) != 0) {
            throw new IllegalArgumentException(cfgFile + ": lora_dropout " + cfg.get("lora_dropout")
                    + " is not supported (only 0; dropout only matters while training)");
        }
        Set<LoraProjection> targets = EnumSet.noneOf(LoraProjection.class);
        cfg.get("target_modules").forEach(t -> targets.add(LoraProjection.parse(t.asText())));
        Set<Integer> layers = new TreeSet<>();
        if (cfg.has("layers_to_transform") && cfg.get("layers_to_transform").isArray()) {
            cfg.get("layers_to_transform").forEach(n -> layers.add(n.asInt()));
        } else {
            for (int l = 0; l < c.nLayers(); l++) {
                layers.add(l);
            }
        }
        Settings s = new Settings(cfg.get("r").asInt(), cfg.get("lora_alpha").asDouble(), targets, layers);
        LoraAdapter adapter = initialise(c, s, 0);
        try (ModelWeights file = SafetensorsReader.open(dir.resolve(WEIGHTS_FILE))) {
            for (int l = 0; l < c.nLayers(); l++) {
                for (LoraProjection p : LoraProjection.values()) {
                    if (adapter.a[l][p.ordinal()] != null) {
                        fill(file, name(l, p, "A"), adapter.a[l][p.ordinal()]);
                        fill(file, name(l, p, "B"), adapter.b[l][p.ordinal()]);
                    }
                }
            }
        }
        return adapter;
    }

    private static void fill(ModelWeights file, String name, Var target) {
        if (!file.hasTensor(name)) {
            throw new IllegalArgumentException(file.path() + ": adapter tensor " + name + " is missing");
        }
        TensorData t = file.tensor(name);
        long[] want = {target.dim(0), target.dim(1)};
        if (!Arrays.equals(t.shape(), want)) {
            throw new IllegalArgumentException(file.path() + ": tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", the adapter config needs " + Arrays.toString(want));
        }
        float[] v = t.data().toFloatArray();
        for (int i = 0; i < v.length; i++) {
            target.data().set(i, v[i]);
        }
    }
}
