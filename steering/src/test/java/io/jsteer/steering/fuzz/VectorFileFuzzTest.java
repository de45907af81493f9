package io.jsteer.steering.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.ControlVectors;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Hostile steering vectors: whatever the bytes, reading them as a jsteer vector set (the
 * {@code .safetensors} with its metadata in the header, and the {@code .json} beside it, which
 * sets from before carry their metadata in) or as a llama.cpp control-vector GGUF either gives a
 * set whose every vector is finite and as wide as the model, or fails with a typed error naming the
 * file; never an index error, a bare number-format message, an out-of-memory or a hang.
 *
 * <p>Input layout: {@link FuzzInput} (byte 0: 0 = vector set, 1 = control vector; first file =
 * the .json, second = the .safetensors or .gguf). Seeds are the writers' own output ({@link #seeds},
 * written by {@link #main}); a normal build replays them from
 * {@code src/test/resources/io/jsteer/steering/fuzz/VectorFileFuzzTestInputs/};
 * {@code JAZZER_FUZZ=1 ./mvnw -pl steering test -Dtest=VectorFileFuzzTest} mutates them for the time below.
 */
class VectorFileFuzzTest {

    private static final int SET = 0, CONTROL_VECTOR = 1, KINDS = 2;


    @FuzzTest(maxDuration = "10m")
    void anyBytesLoadOrFailNamingTheFile(byte[] input) throws IOException {
        load(input);
    }

    static boolean load(byte[] input) throws IOException {
        FuzzInput in = FuzzInput.of(input, KINDS);
        if (in == null) {
            return false;
        }
        Path dir = Files.createTempDirectory("jsteer-fuzz");
        List<Path> files = in.kind() == SET ? List.of(dir.resolve("v.json"), dir.resolve("v.safetensors")) : List.of(dir.resolve("v.gguf"));
        try {
            if (in.kind() == SET && in.first().length > 0) {
                Files.write(files.get(0), in.first());
            }
            Files.write(files.getLast(), in.second());
            LlamaConfig c = FuzzInput.storiesConfig();
            VectorSet set;
            try {
                set = in.kind() == SET ? VectorSetFiles.read(files.get(1), c) : ControlVectors.importFile(files.get(0));
            } catch (WeightFormatException | IllegalArgumentException | IllegalStateException | UncheckedIOException expected) {
                FuzzInput.requireNamesAFile(expected, files);
                return false;
            }
            for (Map.Entry<Integer, float[]> v : set.vectors().entrySet()) {
                for (float x : v.getValue()) {
                    if (!Float.isFinite(x)) {
                        throw new AssertionError("layer " + v.getKey() + " holds " + x + ": non-finite values must be refused at load");
                    }
                }
            }
            set.norms();
            return true;
        } finally {
            try (Stream<Path> left = Files.list(dir)) {
                for (Path p : left.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    static Map<String, byte[]> seeds() throws IOException {
        LlamaConfig c = FuzzInput.storiesConfig();
        Map<String, byte[]> out = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("jsteer-seeds");
        try {
            TreeMap<Integer, float[]> vectors = new TreeMap<>();
            for (int l : new int[] {1, 2, 4}) {
                float[] v = new float[c.dim()];
                v[l] = 1.5f;
                v[c.dim() - 1] = -0.25f;
                vectors.put(l, v);
            }
            VectorSet set = new VectorSet(SiteKind.RESID_POST, vectors, Provenance.of("stories260K", "", "fuzz", "LAST", List.of()));
            VectorSetFiles.write(dir.resolve("v"), set);
            out.put("set", FuzzInput.pack(SET, Files.readAllBytes(dir.resolve("v.json")), Files.readAllBytes(dir.resolve("v.safetensors"))));
            out.put("set-without-json", FuzzInput.pack(SET, new byte[0], Files.readAllBytes(dir.resolve("v.safetensors"))));
            ControlVectors.export(set, dir.resolve("cv.gguf"), c, "stories260K", false);
            out.put("control-vector", FuzzInput.pack(CONTROL_VECTOR, new byte[0], Files.readAllBytes(dir.resolve("cv.gguf"))));
        } finally {
            try (Stream<Path> all = Files.list(dir)) {
                for (Path f : all.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        }
        return out;
    }

    @Test
    void everyWritersOutputLoads() throws IOException {
        for (Map.Entry<String, byte[]> s : seeds().entrySet()) {
            assertTrue(load(s.getValue()), s.getKey() + " did not load");
        }
    }

    /** Writes {@link #seeds} (and truncated copies) into the seed directory given. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> s : seeds().entrySet()) {
            Files.write(dir.resolve(s.getKey()), s.getValue());
            Files.write(dir.resolve(s.getKey() + "-truncated"), Arrays.copyOf(s.getValue(), s.getValue().length * 2 / 3));
        }
    }
}
