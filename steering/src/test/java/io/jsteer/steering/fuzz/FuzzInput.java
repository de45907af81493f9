package io.jsteer.steering.fuzz;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The fuzz tests' input layout: byte 0 picks what to read, bytes 1-2 (little-endian) are the
 * length of the first file, then the first file, then the second (one-file readers use the
 * second alone). {@link #pack} is the inverse, for seeds written from valid files.
 */
public record FuzzInput(int kind, byte[] first, byte[] second) {

    /** null when the input is too short to hold a header. */
    public static FuzzInput of(byte[] input, int kinds) {
        if (input.length < 3) {
            return null;
        }
        int split = Math.min(input.length - 3, Short.toUnsignedInt(ByteBuffer.wrap(input, 1, 2).order(ByteOrder.LITTLE_ENDIAN).getShort()));
        return new FuzzInput(Byte.toUnsignedInt(input[0]) % kinds, Arrays.copyOfRange(input, 3, 3 + split),
                Arrays.copyOfRange(input, 3 + split, input.length));
    }

    public static byte[] pack(int kind, byte[] first, byte[] second) {
        ByteBuffer b = ByteBuffer.allocate(3 + first.length + second.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) kind).putShort((short) first.length).put(first).put(second);
        return b.array();
    }

    /**
     * A reader's refusal must say which file it is about (the issue: "every reader's errors name
     * the file and field"); a message that names none of {@code files} fails the fuzz test.
     */
    public static void requireNamesAFile(Throwable error, List<Path> files) {
        String m = error.getMessage();
        if (m == null || files.stream().noneMatch(f -> m.contains(f.getFileName().toString()))) {
            throw new AssertionError("an error that does not name the file (" + files.stream().map(Path::getFileName).toList()
                    + "): " + error, error);
        }
    }

    /** stories260K's shape, loaded once: what the fuzzed vectors, adapters and checkpoints are checked against. */
    public static LlamaConfig storiesConfig() {
        class Holder {
            static final LlamaConfig CONFIG;
            static {
                try (LoadedModel m = ModelLoader.load(Path.of(System.getProperty("jsteer.shared", "../../shared"))
                        .resolve("models/stories260K.gguf"), null)) {
                    CONFIG = m.config();
                }
            }
        }
        return Holder.CONFIG;
    }
}
