package io.jsteer.weights.safetensors;

import static io.jsteer.weights.Rejections.assertRejected;
import static io.jsteer.weights.Rejections.openOrReject;
import static io.jsteer.weights.Rejections.write;
import static io.jsteer.weights.Rejections.writePrefix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRobustnessTest {

    @TempDir
    Path dir;

    /** A file with {@code json} as header and {@code dataBytes} zero bytes of data. */
    private Path file(String name, String json, int dataBytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(j.length).put(j);
        return write(dir.resolve(name), b.array());
    }

    private static String entry(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void everyPrefixIsRejectedButTheWholeFile() throws IOException {
        Path valid = dir.resolve("v.safetensors");
        SafetensorsWriter.write(valid, Map.of("k", "v"), List.of(
                new SafetensorsTensor("a", new long[] {2, 3}, new float[6]),
                new SafetensorsTensor("b", new long[] {4}, new float[4])));
        byte[] content = Files.readAllBytes(valid);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int n = 0; n <= content.length; n++) {
                assertEquals(n == content.length, openOrReject(writePrefix(dir.resolve("p.safetensors"), content, n)),
                        "prefix " + n);
            }
        });
    }

    @Test
    void badHeadersAreNamed() {
        assertRejected(write(dir.resolve("len.safetensors"),
                ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 20).put((byte) '{').array()),
                "header length");
        assertRejected(write(dir.resolve("neglen.safetensors"),
                ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(0xFFFFFFFFL).put((byte) '{').array()),
                "header length");
        assertRejected(file("json.safetensors", "{\"a\": [1, 2", 0), "header: invalid JSON");
        assertRejected(file("trailing.safetensors", "{} {}", 0), "header: invalid JSON");
        assertRejected(file("array.safetensors", "{\"a\": 1}", 0), "tensor a");
        assertRejected(file("dup.safetensors", "{" + entry("a", "F32", "[1]", "[0,4]") + ","
                + entry("a", "F32", "[1]", "[4,8]") + "}", 8), "invalid JSON");
        assertRejected(file("dtype.safetensors", "{" + entry("a", "I64", "[1]", "[0,8]") + "}", 8), "tensor a: dtype");
        assertRejected(file("shape.safetensors", "{" + entry("a", "F32", "[-1]", "[0,4]") + "}", 4), "tensor a: shape");
        assertRejected(file("shapef.safetensors", "{" + entry("a", "F32", "[1.5]", "[0,4]") + "}", 4), "tensor a: shape");
        assertRejected(file("shapebig.safetensors", "{" + entry("a", "F32", "[99999999999999999999]", "[0,4]") + "}", 4),
                "tensor a: shape");
        assertRejected(file("overflow.safetensors", "{" + entry("a", "F32", "[4294967296, 4294967296]", "[0,4]") + "}", 4),
                "tensor a: shape");
        assertRejected(file("huge.safetensors", "{" + entry("a", "F32", "[4611686018427387904]", "[0,4]") + "}", 4),
                "tensor a: data_offsets");
        assertRejected(file("range.safetensors", "{" + entry("a", "F32", "[4]", "[0,16]") + "}", 8), "tensor a: data_offsets");
        assertRejected(file("rev.safetensors", "{" + entry("a", "F32", "[0]", "[8,4]") + "}", 8), "tensor a: data_offsets");
        assertRejected(file("size.safetensors", "{" + entry("a", "F32", "[3]", "[0,8]") + "}", 8), "tensor a: data_offsets");
        assertRejected(file("negoff.safetensors", "{" + entry("a", "F32", "[1]", "[-4,0]") + "}", 8), "tensor a: data_offsets");
        assertRejected(file("overlap.safetensors", "{" + entry("a", "F32", "[2]", "[0,8]") + ","
                + entry("b", "F32", "[2]", "[4,12]") + "}", 12), "data_offsets");
        assertRejected(file("meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 0), "__metadata__.k");
        Path notObject = file("notobj.safetensors", "[1,2]", 0);
        WeightFormatException e = org.junit.jupiter.api.Assertions.assertThrows(WeightFormatException.class,
                () -> SafetensorsReader.open(notObject));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("header: must be a JSON object"), e.getMessage());
    }

    @Test
    void badConfigIsNamed() throws IOException {
        Path model = dir.resolve("m");
        SafetensorsWriter.write(model.resolve("model.safetensors"), Map.of(), List.of(
                new SafetensorsTensor("model.norm.weight", new long[] {2}, new float[2])));
        Files.writeString(model.resolve("config.json"), "{\"hidden_size\": 64}");
        assertRejected(model, "num_attention_heads");
        Files.writeString(model.resolve("config.json"), "{\"hidden_size\": 64, \"num_attention_heads\": 8, "
                + "\"intermediate_size\": -3, \"num_hidden_layers\": 1}");
        assertRejected(model, "intermediate_size");
        Files.writeString(model.resolve("config.json"), "not json");
        assertRejected(model, "invalid JSON");
        Files.delete(model.resolve("config.json"));
        assertRejected(model, "config.json");
    }

    @Test
    void randomHeadersAreRejected() {
        Random random = new Random(9);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 300; i++) {
                byte[] b = new byte[8 + random.nextInt(512)];
                random.nextBytes(b);
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(random.nextInt(b.length)).put((byte) '{');
                assertFalse(openOrReject(write(dir.resolve("r.safetensors"), b)));
            }
        });
    }

    @Test
    void mutatedValidHeadersNeverEscapeAsOtherErrors() throws IOException {
        Path valid = dir.resolve("v.safetensors");
        SafetensorsWriter.write(valid, Map.of("k", "v"), List.of(
                new SafetensorsTensor("a", new long[] {2, 3}, new float[6]),
                new SafetensorsTensor("b", new long[] {4}, new float[4])));
        byte[] content = Files.readAllBytes(valid);
        Random random = new Random(13);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int trial = 0; trial < 1000; trial++) {
                byte[] m = content.clone();
                int at = random.nextInt(content.length - 40);
                m[at] = (byte) "0123456789[]{},:\"-eE.x".charAt(random.nextInt(22));
                try {
                    openOrReject(write(dir.resolve("m.safetensors"), m));
                } catch (WeightFormatException e) {
                    throw new AssertionError(e);
                }
            }
        });
    }
}
