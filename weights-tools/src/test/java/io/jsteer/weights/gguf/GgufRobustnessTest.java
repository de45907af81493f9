package io.jsteer.weights.gguf;

import static io.jsteer.weights.Rejections.assertRejected;
import static io.jsteer.weights.Rejections.openOrReject;
import static io.jsteer.weights.Rejections.write;
import static io.jsteer.weights.Rejections.writePrefix;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import io.jsteer.weights.SharedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad GGUF files must fail with a WeightFormatException naming file and field: no OOM, IOOBE or hang. */
class GgufRobustnessTest {

    @TempDir
    Path dir;

    private Path smallValidFile() throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "llama");
        meta.put("tokenizer.ggml.tokens", List.of("a", "bb", "ccc"));
        meta.put("nested", List.of(List.of(1L), List.of(2L, 3L)));
        meta.put("f", 0.5f);
        float[] v = new float[64];
        Path file = dir.resolve("small.gguf");
        GgufWriter.write(file, meta, List.of(
                new GgufTensorSpec("a", DType.F32, new long[] {2, 8}, s -> s.writeFloats(v, 0, 16)),
                new GgufTensorSpec("b", DType.Q8_0, new long[] {1, 32}, s -> s.writeFloats(v, 0, 32)),
                new GgufTensorSpec("c", DType.F16, new long[] {3}, s -> s.writeFloats(v, 0, 3))));
        return file;
    }

    @Test
    void everyPrefixOfASmallFileIsRejected() throws IOException {
        Path valid = smallValidFile();
        byte[] content = Files.readAllBytes(valid);
        GgufHeader header = GgufReader.readHeader(valid);
        long end = header.tensors().stream().mapToLong(t -> header.dataStart() + t.offset() + t.byteSize()).max().orElseThrow();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int n = 0; n < end; n++) {
                assertFalse(openOrReject(writePrefix(dir.resolve("prefix.gguf"), content, n)), "prefix " + n);
            }
            for (int n = (int) end; n <= content.length; n++) {
                assertTrue(openOrReject(writePrefix(dir.resolve("prefix.gguf"), content, n)), "prefix " + n);
            }
        });
    }

    @Test
    void denseSampleOfPrefixesOfTheRealModelIsRejected() throws IOException {
        byte[] content = Files.readAllBytes(SharedFiles.model("stories260K.gguf"));
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int n = 0; n < content.length; n += n < 15000 ? 7 : 4099) {
                assertFalse(openOrReject(writePrefix(dir.resolve("p.gguf"), content, n)), "prefix " + n);
            }
            assertFalse(openOrReject(writePrefix(dir.resolve("p.gguf"), content, content.length - 1)));
        });
    }

    @Test
    void randomByteFlipsInTheHeaderNeverEscapeAsOtherErrors() throws IOException {
        byte[] content = Files.readAllBytes(smallValidFile());
        Random random = new Random(3);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int trial = 0; trial < 2000; trial++) {
                byte[] mutated = content.clone();
                for (int k = 0; k <= trial % 3; k++) {
                    mutated[random.nextInt(Math.min(mutated.length, 400))] = (byte) random.nextInt(256);
                }
                openOrReject(write(dir.resolve("m.gguf"), mutated));
            }
        });
    }

    @Test
    void zeroedAndRandomFilesAreRejected() {
        Random random = new Random(11);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            assertRejected(write(dir.resolve("zero.gguf"), new byte[4096]), "dim");
            byte[] zeroedAfterMagic = new byte[4096];
            System.arraycopy(GgufBytes.header(3, 0, 0).bytes(), 0, zeroedAfterMagic, 0, 4);
            assertRejected(write(dir.resolve("zero2.gguf"), zeroedAfterMagic), "version");
            for (int i = 0; i < 300; i++) {
                byte[] b = new byte[random.nextInt(2048)];
                random.nextBytes(b);
                if (i % 2 == 0 && b.length >= 24) {
                    System.arraycopy(GgufBytes.header(3, 0, 0).bytes(), 0, b, 0, 8); // get past magic and version
                }
                assertFalse(openOrReject(write(dir.resolve("random.gguf"), b)));
            }
        });
    }

    private Path file(String name, GgufBytes bytes) {
        return write(dir.resolve(name), bytes.bytes());
    }

    @Test
    void badHeaderFieldsAreNamed() {
        assertRejected(file("magic.gguf", new GgufBytes().u32(0x46554748).u32(3).u64(0).u64(0)), "magic");
        assertRejected(file("v1.gguf", GgufBytes.header(1, 0, 0)), "version");
        assertRejected(file("v4.gguf", GgufBytes.header(4, 0, 0)), "version");
        assertRejected(file("be.gguf", GgufBytes.header(0x03000000, 0, 0)), "big-endian");
        assertRejected(file("tcount.gguf", GgufBytes.header(3, 1L << 40, 0)), "tensor_count");
        assertRejected(file("kvcount.gguf", GgufBytes.header(3, 0, 1L << 50)), "metadata_kv_count");
        assertRejected(file("negcount.gguf", GgufBytes.header(3, -1L, 0)), "tensor_count");
        assertRejected(file("negkv.gguf", GgufBytes.header(3, 0, Long.MIN_VALUE)), "metadata_kv_count");
        assertRejected(file("trunc.gguf", new GgufBytes().u32(GgufReader.MAGIC).u32(3).u64(0).u32(0)), "metadata_kv_count");
        assertRejected(file("trunc2.gguf", GgufBytes.header(3, 0, 1).str("key").u32(GgufValueType.UINT64.id()).u32(0)),
                "metadata key");
    }

    @Test
    void hugeLengthsAreRejectedBeforeAllocating() {
        assertRejected(file("keylen.gguf", GgufBytes.header(3, 0, 1).u64(1L << 62).zeros(16)), "metadata[0].key");
        assertRejected(file("keylen2.gguf", GgufBytes.header(3, 0, 1).u64(Integer.MAX_VALUE).zeros(16)), "metadata[0].key");
        assertRejected(file("neglen.gguf", GgufBytes.header(3, 0, 1).u64(-5).zeros(16)), "metadata[0].key");
        assertRejected(file("strval.gguf", GgufBytes.header(3, 0, 1).str("k").u32(GgufValueType.STRING.id()).u64(1L << 40)),
                "metadata k");
        assertRejected(file("arrlen.gguf", GgufBytes.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.UINT64.id()).u64(1L << 60).zeros(64)), "array length");
        assertRejected(file("arrstr.gguf", GgufBytes.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id()).u64(Integer.MAX_VALUE).zeros(64)), "array length");
        GgufBytes deep = GgufBytes.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 50; i++) {
            deep.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        assertRejected(file("deep.gguf", deep.zeros(64)), "nested");
        assertRejected(file("vtype.gguf", GgufBytes.header(3, 0, 1).str("k").u32(13).u32(0)), "metadata k: type");
        assertRejected(file("bool.gguf", GgufBytes.header(3, 0, 1).str("k").u32(GgufValueType.BOOL.id()).u8(2)), "metadata k");
        assertRejected(file("dupkey.gguf", GgufBytes.header(3, 0, 2).kvU32("k", 1).kvU32("k", 2)), "duplicate");
        assertRejected(file("align.gguf", GgufBytes.header(3, 0, 1).kvU32("general.alignment", 12)), "general.alignment");
        assertRejected(file("align0.gguf", GgufBytes.header(3, 0, 1).kvU32("general.alignment", 0)), "general.alignment");
    }

    @Test
    void badTensorEntriesAreNamed() {
        assertRejected(tensorFile("ndims.gguf", new GgufBytes().str("w").u32(5).u64(1).u64(1).u64(1).u64(1).u64(1)
                .u32(0).u64(0)), "tensor w: n_dims");
        assertRejected(tensorFile("ndims0.gguf", new GgufBytes().str("w").u32(0).u32(0).u64(0)), "tensor w: n_dims");
        assertRejected(tensorFile("dim0.gguf", new GgufBytes().tensor("w", 0, 0, 4, 0)), "tensor w: dims[1]");
        assertRejected(tensorFile("dimneg.gguf", new GgufBytes().tensor("w", 0, 0, -4)), "tensor w: dims[0]");
        assertRejected(tensorFile("overflow.gguf", new GgufBytes().tensor("w", 0, 0, 1L << 40, 1L << 40)), "tensor w: dims");
        assertRejected(tensorFile("bytesoverflow.gguf", new GgufBytes().tensor("w", 0, 0, 1L << 31, 1L << 31)), "tensor w");
        WeightFormatExceptionCheck.contains(assertRejected(tensorFile("iq2.gguf", new GgufBytes().tensor("w", 16, 0, 256)),
                "tensor w: type"), "IQ2_XXS");
        // a K-quant tensor whose data is cut short names the tensor and the missing bytes
        assertRejected(tensorFile("q4k.gguf", new GgufBytes().tensor("w", DType.Q4_K.ggmlId(), 0, 256)), "tensor w: offset");
        WeightFormatExceptionCheck.contains(assertRejected(tensorFile("t99.gguf", new GgufBytes().tensor("w", 99, 0, 4)),
                "tensor w: type"), "99");
        assertRejected(tensorFile("block.gguf", new GgufBytes().tensor("w", DType.Q8_0.ggmlId(), 0, 16, 2)), "tensor w: dims[0]");
        assertRejected(tensorFile("misaligned.gguf", new GgufBytes().tensor("w", 0, 4, 4)), "tensor w: offset");
        assertRejected(tensorFile("range.gguf", new GgufBytes().tensor("w", 0, 0, 1000)), "tensor w: offset");
        assertRejected(tensorFile("far.gguf", new GgufBytes().tensor("w", 0, 1L << 60, 4)), "tensor w: offset");
        assertRejected(tensorFile("negoff.gguf", new GgufBytes().tensor("w", 0, -32, 4)), "tensor w: offset");
        assertRejected(tensorFile("overlap.gguf", new GgufBytes().tensor("w", 0, 0, 16).tensor("v", 0, 32, 16)),
                "tensor v: offset");
        assertRejected(tensorFile("dupname.gguf", new GgufBytes().tensor("w", 0, 0, 4).tensor("w", 0, 32, 4)), "tensor w");
    }

    /** A file whose tensor section is {@code infos} (the count is taken from the name markers), plus 128 data bytes. */
    private Path tensorFile(String name, GgufBytes infos) {
        byte[] body = infos.bytes();
        int count = name.startsWith("overlap") || name.startsWith("dupname") ? 2 : 1;
        GgufBytes all = GgufBytes.header(3, count, 0);
        all.zeros(0);
        byte[] head = all.bytes();
        byte[] out = new byte[head.length + body.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        int padded = (out.length + 31) / 32 * 32;
        return write(dir.resolve(name), java.util.Arrays.copyOf(out, padded + 128));
    }

    /** Small helper so assertions read as sentences. */
    private static final class WeightFormatExceptionCheck {
        static void contains(io.jsteer.weights.WeightFormatException e, String text) {
            assertTrue(e.getMessage().contains(text), e.getMessage());
        }
    }
}
