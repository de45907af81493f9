package io.jsteer.steering.kts;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsteer.tensor.optim.Adam;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.safetensors.SafetensorsReader;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Resumable checkpoints of a {@link KtsTrainer} in a directory: each save writes a complete
 * {@code step-NNNNNN/} (adapter files, {@code optimizer.bin} with the AdamW moments in double,
 * {@code pool_vectors.safetensors}, {@code state.json} with the step, config and loss history)
 * under a temporary name, renames it into place, then atomically rewrites {@code latest} to point
 * at it and deletes older ones. A crash at any moment leaves {@code latest} naming a complete one.
 */
public final class KtsCheckpoint {

    public static final String LATEST = "latest";
    /** The adapter directory inside a step directory (model.lora's PEFT format). */
    public static final String ADAPTER_FILE = "adapter";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int OPTIMIZER_MAGIC = 0x4B54534F; // "KTSO"

    private final Path dir;

    public KtsCheckpoint(Path dir) {
        this.dir = dir;
    }

    public Path directory() { return dir; }

    /** Whether a complete checkpoint exists here. */
    public boolean exists() {
        return Files.isRegularFile(dir.resolve(LATEST));
    }

    /** The step directory {@code latest} names. */
    public Path latest() throws IOException {
        String name = InputFiles.readText("", dir.resolve(LATEST), InputFiles.TEXT_LIMIT).strip();
        Path p = dir.resolve(name);
        AtomicFileWriter.recoverDirectory(p); // the step was being rewritten when a run was killed
        if (!name.matches("step-\\d+") || !Files.isDirectory(p)) {
            throw new IllegalArgumentException(dir.resolve(LATEST) + " names '" + name + "', which is not a checkpoint directory here");
        }
        return p;
    }

    void save(KtsTrainer t) throws IOException {
        Files.createDirectories(dir);
        String name = "step-%06d".formatted(t.step());
        // the step directory is written whole, then `latest` (one atomic file) is switched to it; only then
        // are older steps removed, so a kill at any point leaves `latest` naming a complete step
        AtomicFileWriter.writeDirectory(dir.resolve(name), temp -> {
            LoraFiles.save(temp.resolve(ADAPTER_FILE), t.graph().adapter(), t.graph().config(), "kts checkpoint step " + t.step());
            writeOptimizer(temp.resolve("optimizer.bin"), t.optimizer().state());
            writeVectors(temp.resolve("pool_vectors.safetensors"), t.poolVectors());
            ObjectNode state = JSON.createObjectNode();
            state.put("step", t.step());
            state.set("config", JSON.valueToTree(t.config()));
            state.set("loss_history", JSON.valueToTree(t.lossHistory()));
            byte[] stateBytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state);
            AtomicFileWriter.write(temp.resolve("state.json"), out -> out.bytes(stateBytes));
        });
        byte[] pointer = name.getBytes(StandardCharsets.UTF_8);
        AtomicFileWriter.write(dir.resolve(LATEST), out -> out.bytes(pointer));
        try (Stream<Path> old = Files.list(dir)) {
            for (Path p : old.filter(p -> p.getFileName().toString().matches("step-\\d+")
                    && !p.getFileName().toString().equals(name)).toList()) {
                AtomicFileWriter.deleteTree(p);
            }
        }
    }

    /** Restores the latest checkpoint into {@code t}, which must have been built with the same config and pool. */
    public void restore(KtsTrainer t) throws IOException {
        Path p = latest();
        JsonNode state = JSON.readTree(InputFiles.readText("", p.resolve("state.json"), InputFiles.TEXT_LIMIT));
        KtsTrainConfig saved = JSON.treeToValue(state.get("config"), KtsTrainConfig.class);
        if (!saved.withRecompute(t.config().recompute()).equals(t.config())) { // recomputation changes nothing trained
            throw new IllegalArgumentException(p.resolve("state.json") + ": the checkpoint was made with other settings "
                    + saved + "; resume with the same ones (now " + t.config() + ")");
        }
        LoraAdapter adapter = LoraFiles.load(p.resolve(ADAPTER_FILE), t.graph().config());
        Adam.State opt = readOptimizer(p.resolve("optimizer.bin"));
        float[][][] vectors = readVectors(p.resolve("pool_vectors.safetensors"), t.pool().size(),
                t.graph().config().nLayers(), t.graph().config().dim());
        List<Double> losses = new ArrayList<>();
        state.get("loss_history").forEach(n -> losses.add(n.asDouble()));
        t.restore(state.get("step").asInt(), opt, adapter, vectors, losses);
    }

    // ---- files ----------------------------------------------------------------------------------

    static void writeOptimizer(Path file, Adam.State s) throws IOException {
        AtomicFileWriter.write(file, out -> {
            out.i32(OPTIMIZER_MAGIC);
            out.i32(s.steps());
            out.i32(s.m().length);
            for (int k = 0; k < s.m().length; k++) {
                double[] m = s.m()[k], v = s.v()[k];
                out.i32(m == null ? -1 : m.length);
                if (m != null) {
                    for (double x : m) {
                        out.f64(x);
                    }
                    for (double x : v) {
                        out.f64(x);
                    }
                }
            }
        });
    }

    static Adam.State readOptimizer(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            DataInputStream data = new DataInputStream(new java.io.BufferedInputStream(in));
            if (readInt(data) != OPTIMIZER_MAGIC) {
                throw new IllegalArgumentException(file + ": not a KTS optimizer state (bad magic)");
            }
            int steps = readInt(data), n = readInt(data);
            if (steps < 0 || n < 0 || n > 1 << 20) {
                throw new IllegalArgumentException(file + ": corrupt header (steps " + steps + ", parameters " + n + ")");
            }
            double[][] m = new double[n][], v = new double[n][];
            for (int k = 0; k < n; k++) {
                int len = readInt(data);
                if (len < -1 || len > 1 << 26) { // -1 marks a parameter without moments; 2^26 doubles (512 MiB) is past any adapter
                    throw new IllegalArgumentException(file + ": corrupt optimizer state (parameter " + k + " has length " + len + ")");
                }
                if (len >= 0) {
                    m[k] = readDoubles(data, len);
                    v[k] = readDoubles(data, len);
                }
            }
            return new Adam.State(steps, m, v);
        } catch (java.io.EOFException e) {
            throw new IllegalArgumentException(file + ": truncated optimizer state", e);
        }
    }

    private static int readInt(DataInputStream in) throws IOException {
        return Integer.reverseBytes(in.readInt());
    }

    private static double[] readDoubles(DataInputStream in, int n) throws IOException {
        byte[] bytes = in.readNBytes(8 * n);
        if (bytes.length != 8 * n) {
            throw new java.io.EOFException();
        }
        double[] out = new double[n];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
        return out;
    }

    static void writeVectors(Path file, float[][][] vectors) throws IOException {
        List<SafetensorsTensor> tensors = new ArrayList<>();
        for (int c = 0; c < vectors.length; c++) {
            for (int l = 0; l < vectors[c].length; l++) {
                if (vectors[c][l] != null) {
                    tensors.add(new SafetensorsTensor("concept." + c + ".resid_post." + l,
                            new long[] {vectors[c][l].length}, vectors[c][l]));
                }
            }
        }
        SafetensorsWriter.write(file, Map.of("jsteer.kind", "kts-pool-vectors"), tensors);
    }

    static float[][][] readVectors(Path file, int concepts, int layers, int dim) {
        float[][][] out = new float[concepts][layers][];
        try (ModelWeights w = SafetensorsReader.open(file)) {
            for (String name : w.tensors().keySet()) {
                String[] parts = name.split("\\.");
                if (parts.length != 4 || !parts[0].equals("concept") || !parts[2].equals("resid_post")
                        || !parts[1].matches("\\d{1,9}") || !parts[3].matches("\\d{1,9}")) {
                    throw new IllegalArgumentException(file + ": unexpected tensor " + name);
                }
                int c = Integer.parseInt(parts[1]), l = Integer.parseInt(parts[3]);
                if (c >= concepts || l >= layers || w.tensor(name).elementCount() != dim) {
                    throw new IllegalArgumentException(file + ": tensor " + name + " does not fit " + concepts
                            + " concepts × " + layers + " blocks × " + dim);
                }
                out[c][l] = w.tensor(name).data().toFloatArray();
            }
        }
        return out;
    }
}
