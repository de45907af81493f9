package io.jsteer.weights.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hostile model files: whatever the bytes, opening them as GGUF, safetensors or llama2.c
 * {@code .bin} either works (and every tensor can then be read end to end) or fails with the
 * readers' own clear error ({@link WeightFormatException}, or {@link IllegalArgumentException} for
 * values out of range); never an index error, a negative array size, an out-of-memory from a
 * size field believed blindly, or a hang. The first input byte picks the format.
 *
 * <p>In a normal build this replays the seed inputs under
 * {@code src/test/resources/io/jsteer/weights/fuzz/ModelFileFuzzTestInputs/} (valid tiny files of
 * each format and damaged copies); {@code JAZZER_FUZZ=1 ./mvnw -pl weights-tools test
 * -Dtest=ModelFileFuzzTest} mutates those seeds for the time given below. Jazzer 0.24's
 * instrumentation cannot read Java 25 class files yet (it prints "Unsupported class file major
 * version 69"), so that mode mutates without coverage feedback from jsteer's own classes: a blind
 * fuzzer, still useful against size fields and truncations, not a coverage-guided one.
 */
class ModelFileFuzzTest {

    private static final String[] SUFFIX = {".gguf", ".safetensors", ".bin"};

    @FuzzTest(maxDuration = "10m")
    void anyBytesOpenOrFailCleanly(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        Path dir = Files.createTempDirectory("jsteer-fuzz");
        Path file = dir.resolve("model" + SUFFIX[Byte.toUnsignedInt(input[0]) % SUFFIX.length]);
        try {
            Files.write(file, java.util.Arrays.copyOfRange(input, 1, input.length));
            try (ModelWeights w = ModelFiles.open(file)) {
                for (TensorData t : w.tensors().values()) {
                    long n = t.data().size();
                    if (n > 0) { // the first and last element of every tensor must be readable
                        t.data().getFloat(0);
                        t.data().getFloat(n - 1);
                    }
                }
            } catch (WeightFormatException | IllegalArgumentException expected) {
                // the readers' clear errors: what hostile bytes must produce
                if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                    throw new AssertionError("an error without a message", expected);
                }
            } catch (UncheckedIOException expected) {
                // e.g. a file too short to map: also a named error
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
