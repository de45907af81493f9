package io.jsteer.weights;

import io.jsteer.weights.gguf.GgufReader;
import io.jsteer.weights.llama2c.Llama2cReader;
import io.jsteer.weights.safetensors.SafetensorsReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Opens a model by looking at its content, not its name. */
public final class ModelFiles {

    private ModelFiles() {}

    /**
     * Opens a GGUF file, a llama2.c .bin checkpoint, a .safetensors file, or a directory holding
     * config.json and safetensors (single or sharded with model.safetensors.index.json).
     */
    public static ModelWeights open(Path path) {
        return switch (detect(path)) {
            case GGUF -> GgufReader.open(path);
            case LLAMA2C -> Llama2cReader.open(path);
            case SAFETENSORS -> SafetensorsReader.openModel(path);
        };
    }

    /**
     * The format of {@code path}: the GGUF magic; safetensors' u64 header length followed by
     * '{'; otherwise a llama2.c header whose implied length matches the file.
     *
     * @throws WeightFormatException when it is none of them
     */
    public static ModelFormat detect(Path path) {
        if (Files.isDirectory(path)) {
            if (!Files.isRegularFile(path.resolve("config.json"))) {
                throw new WeightFormatException(path, "config.json", "a model directory needs config.json next to its .safetensors files");
            }
            return ModelFormat.SAFETENSORS;
        }
        // a FIFO would block the open below forever, a device would be mapped as a model
        InputFiles.requireRegular("", path);
        ByteBuffer head = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
        long size;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            size = ch.size();
            while (head.hasRemaining() && ch.read(head) > 0) {
                // read up to 9 bytes
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
        head.flip();
        if (head.remaining() >= 4 && head.getInt(0) == 0x46554747) {
            return ModelFormat.GGUF;
        }
        if (head.remaining() == 9 && head.get(8) == '{') {
            long headerLength = head.getLong(0);
            // A llama2.c header read as u64 is dim | hidden_dim << 32, far beyond the file size;
            // a zero upper half (hidden_dim 0) is no llama2.c file either, so the safetensors
            // reader gets it and reports a bad header length by name.
            if (headerLength >>> 32 == 0 || headerLength <= size - 8) {
                return ModelFormat.SAFETENSORS;
            }
        }
        if (size < 28) {
            throw new WeightFormatException(path, "content", "too short to be a model file (" + size
                    + " bytes): not GGUF, safetensors or a llama2.c checkpoint");
        }
        // Throws a WeightFormatException naming the bad header field when it is not one.
        Llama2cReader.readHeader(path);
        return ModelFormat.LLAMA2C;
    }
}
