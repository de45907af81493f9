package io.jsteer.steering.kts;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.model.lora.LoraMetadata;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.fuzz.FuzzInput;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.mat.LossReport;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatParameters;
import io.jsteer.tensor.optim.Adam;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Hostile training artefacts: whatever the bytes, reading them as a MAT-Steer checkpoint
 * ({@code .safetensors} with its {@code .json}), a LoRA adapter directory
 * ({@code adapter_config.json} + {@code adapter_model.safetensors}, what {@code kts train} and its
 * checkpoint steps hold), a KTS optimizer state, a KTS pool-vector file or a KTS gate probe either
 * works or fails with a typed error whose message names the file; never an index error, a bare
 * number-format message, an out-of-memory or a hang.
 *
 * <p>Input layout: {@link FuzzInput} (byte 0 picks the artefact). The seeds are the
 * writers' own output ({@link #seeds}, written by {@link #main}); a normal build replays them from
 * {@code src/test/resources/io/jsteer/steering/kts/CheckpointFuzzTestInputs/}; {@code JAZZER_FUZZ=1
 * ./mvnw -pl steering test -Dtest=CheckpointFuzzTest} mutates them for the time below.
 */
class CheckpointFuzzTest {

    private static final int MAT = 0, LORA = 1, OPTIMIZER = 2, POOL_VECTORS = 3, PROBE = 4, KINDS = 5;


    @FuzzTest(maxDuration = "10m")
    void anyBytesLoadOrFailNamingTheFile(byte[] input) throws IOException {
        load(input);
    }

    /** Reads the input as its artefact: true if it loaded, false if it failed with a typed error naming the file. */
    static boolean load(byte[] input) throws IOException {
        FuzzInput in = FuzzInput.of(input, KINDS);
        if (in == null) {
            return false;
        }
        int kind = in.kind();
        byte[] first = in.first(), second = in.second();
        Path dir = Files.createTempDirectory("jsteer-fuzz");
        List<Path> files = switch (kind) {
            case MAT -> List.of(dir.resolve("mat.json"), dir.resolve("mat.safetensors"));
            case LORA -> List.of(dir.resolve(LoraMetadata.CONFIG_FILE), dir.resolve(LoraMetadata.WEIGHTS_FILE));
            case OPTIMIZER -> List.of(dir.resolve("optimizer.bin"));
            case POOL_VECTORS -> List.of(dir.resolve("pool_vectors.safetensors"));
            default -> List.of(dir.resolve("probe.json"));
        };
        try {
            if (files.size() == 2) {
                Files.write(files.get(0), first);
                Files.write(files.get(1), second);
            } else {
                Files.write(files.get(0), second);
            }
            LlamaConfig c = FuzzInput.storiesConfig();
            try {
                switch (kind) {
                    case MAT -> {
                        MatCheckpoint m = MatCheckpoint.load(files.get(1));
                        try {
                            m.requireCompatible(c, "stories260K");
                        } catch (IllegalArgumentException otherModel) {
                            // a whole checkpoint for another shape: the command names the file around this message
                        }
                    }
                    case LORA -> LoraFiles.load(dir, c);
                    case OPTIMIZER -> KtsCheckpoint.readOptimizer(files.get(0));
                    case POOL_VECTORS -> KtsCheckpoint.readVectors(files.get(0), 3, c.nLayers(), c.dim());
                    default -> LinearProbe.load(files.get(0));
                }
                return true;
            } catch (WeightFormatException | IllegalArgumentException | IllegalStateException | UncheckedIOException
                     | IOException expected) {
                FuzzInput.requireNamesAFile(expected, files);
                return false;
            }
        } finally {
            try (Stream<Path> left = Files.list(dir)) {
                for (Path p : left.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** Valid artefacts of each kind, from the writers the commands use, in this test's input layout. */
    static Map<String, byte[]> seeds() throws IOException {
        LlamaConfig c = FuzzInput.storiesConfig();
        Map<String, byte[]> out = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("jsteer-seeds");
        try {
            MatParameters p = MatParameters.initial(List.of("truthfulqa", "bbq"), c.dim(), 4);
            new MatCheckpoint(p, MatParameters.initial(p.attributes(), c.dim(), 5).theta(), new MatCheckpoint.Metadata(
                    MatCheckpoint.FORMAT, p.attributes(), c.dim(), "resid_post:2", 2, "last", 1, 0.9, 0.9, 0.1, "2", 2, 3.5, 96, 16,
                    100, 1e-3, 42, "stories260K.gguf", "sha256-head16M:ab:size:1", Map.of("bbq/Religion.jsonl", "sha256:cd"),
                    new LossReport(1, 0.25, 0.5, 1e-3, 1.7), new LossReport(0.5, 0.01, 0.1, 1e-3, 0.6), 0, "caa", true))
                    .save(dir.resolve("mat"));
            out.put("mat", FuzzInput.pack(MAT, Files.readAllBytes(dir.resolve("mat.json")), Files.readAllBytes(dir.resolve("mat.safetensors"))));
            LoraAdapter adapter = LoraAdapter.initialize(c, 2, 4, EnumSet.of(LoraTarget.Q, LoraTarget.V), 1);
            LoraFiles.save(dir.resolve("adapter"), adapter, c, "stories260K.gguf");
            out.put("lora", FuzzInput.pack(LORA, Files.readAllBytes(dir.resolve("adapter").resolve(LoraMetadata.CONFIG_FILE)),
                    Files.readAllBytes(dir.resolve("adapter").resolve(LoraMetadata.WEIGHTS_FILE))));
            KtsCheckpoint.writeOptimizer(dir.resolve("optimizer.bin"), new Adam.State(7,
                    new double[][] {{1, 2, 3}, null, {4}}, new double[][] {{0.1, 0.2, 0.3}, null, {0.4}}));
            out.put("optimizer", FuzzInput.pack(OPTIMIZER, new byte[0], Files.readAllBytes(dir.resolve("optimizer.bin"))));
            float[][][] pool = new float[3][c.nLayers()][];
            pool[0][1] = new float[c.dim()];
            pool[2][4] = new float[c.dim()];
            pool[2][4][5] = 2.5f;
            KtsCheckpoint.writeVectors(dir.resolve("pool.safetensors"), pool);
            out.put("pool-vectors", FuzzInput.pack(POOL_VECTORS, new byte[0], Files.readAllBytes(dir.resolve("pool.safetensors"))));
            new LinearProbe(3, new float[][] {{1, 2}, {3, 4}}, new float[] {0.5f, -0.5f}, new float[] {0, 1}, new float[] {1, 2})
                    .save(dir.resolve("probe.json"), 0.25);
            out.put("probe", FuzzInput.pack(PROBE, new byte[0], Files.readAllBytes(dir.resolve("probe.json"))));
        } finally {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path f : all.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
        return out;
    }

    /** The harness takes what the writers write: every seed kind loads (so the fuzzer starts from valid files). */
    @Test
    void everyWritersOutputLoads() throws IOException {
        for (Map.Entry<String, byte[]> s : seeds().entrySet()) {
            assertTrue(load(s.getValue()), s.getKey() + " did not load");
        }
    }

    /** Writes {@link #seeds} (and damaged copies) into the seed directory: {@code java ... CheckpointFuzzTest DIR}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> s : seeds().entrySet()) {
            byte[] b = s.getValue();
            Files.write(dir.resolve(s.getKey()), b);
            Files.write(dir.resolve(s.getKey() + "-truncated"), Arrays.copyOf(b, b.length * 2 / 3));
        }
    }
}
