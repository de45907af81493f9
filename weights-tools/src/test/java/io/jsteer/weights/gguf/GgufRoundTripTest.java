package io.jsteer.weights.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {

    @TempDir
    Path dir;

    @Test
    void everyMetadataTypeSurvivesWriteAndRead() throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "test");
        meta.put("t.u8", GgufValue.of(GgufValueType.UINT8, 200));
        meta.put("t.i8", GgufValue.of(GgufValueType.INT8, -100));
        meta.put("t.u16", GgufValue.of(GgufValueType.UINT16, 60000));
        meta.put("t.i16", GgufValue.of(GgufValueType.INT16, -30000));
        meta.put("t.u32", GgufValue.of(GgufValueType.UINT32, 4000000000L));
        meta.put("t.i32", GgufValue.of(GgufValueType.INT32, -2000000000));
        meta.put("t.u64", GgufValue.of(GgufValueType.UINT64, 1L << 62));
        meta.put("t.i64", GgufValue.of(GgufValueType.INT64, -(1L << 62)));
        meta.put("t.f32", 1.5f);
        meta.put("t.f64", Math.PI);
        meta.put("t.bool.true", true);
        meta.put("t.bool.false", false);
        meta.put("t.string", "héllo ▁wörld");
        meta.put("t.empty", "");
        meta.put("t.long.default", 7L);
        meta.put("t.long.negative", -7L);
        meta.put("t.arr.str", List.of("a", "bc", ""));
        meta.put("t.arr.f32", List.of(1f, -2f));
        meta.put("t.arr.i16", GgufValue.array(GgufValueType.INT16, List.of(1, -2, 3)));
        meta.put("t.arr.empty", List.of());
        meta.put("t.arr.nested", List.of(List.of(1L, 2L), List.of(3L)));
        meta.put("t.arr.nested.str", List.of(List.of("x"), List.of("y", "z")));
        Path file = dir.resolve("meta.gguf");
        GgufWriter.write(file, meta, List.of());

        GgufHeader header = GgufReader.readHeader(file);
        assertEquals(3, header.version());
        Map<String, Object> m = header.metadata();
        assertEquals(meta.size(), m.size());
        assertEquals(List.copyOf(meta.keySet()), List.copyOf(m.keySet()), "insertion order kept");
        assertEquals(200L, m.get("t.u8"));
        assertEquals(-100L, m.get("t.i8"));
        assertEquals(60000L, m.get("t.u16"));
        assertEquals(-30000L, m.get("t.i16"));
        assertEquals(4000000000L, m.get("t.u32"));
        assertEquals(-2000000000L, m.get("t.i32"));
        assertEquals(1L << 62, m.get("t.u64"));
        assertEquals(-(1L << 62), m.get("t.i64"));
        assertEquals(1.5f, m.get("t.f32"));
        assertEquals(Math.PI, m.get("t.f64"));
        assertEquals(true, m.get("t.bool.true"));
        assertEquals(false, m.get("t.bool.false"));
        assertEquals("héllo ▁wörld", m.get("t.string"));
        assertEquals("", m.get("t.empty"));
        assertEquals(7L, m.get("t.long.default"));
        assertEquals(-7L, m.get("t.long.negative"));
        assertEquals(List.of("a", "bc", ""), m.get("t.arr.str"));
        assertEquals(List.of(1f, -2f), m.get("t.arr.f32"));
        assertEquals(List.of(1L, -2L, 3L), m.get("t.arr.i16"));
        assertEquals(List.of(), m.get("t.arr.empty"));
        assertEquals(List.of(List.of(1L, 2L), List.of(3L)), m.get("t.arr.nested"));
        assertEquals(List.of(List.of("x"), List.of("y", "z")), m.get("t.arr.nested.str"));

        Map<String, GgufValueType> types = header.metadataTypes();
        assertEquals(GgufValueType.UINT8, types.get("t.u8"));
        assertEquals(GgufValueType.INT16, types.get("t.i16"));
        assertEquals(GgufValueType.UINT64, types.get("t.u64"));
        assertEquals(GgufValueType.FLOAT64, types.get("t.f64"));
        assertEquals(GgufValueType.UINT32, types.get("t.long.default"), "counts default to llama.cpp's uint32");
        assertEquals(GgufValueType.INT32, types.get("t.long.negative"));
        assertEquals(GgufValueType.ARRAY, types.get("t.arr.nested"));
        assertThrowsUnsupported(m);
    }

    @SuppressWarnings("unchecked")
    private static void assertThrowsUnsupported(Map<String, Object> m) {
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> m.put("x", 1L));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                () -> ((List<Object>) m.get("t.arr.str")).add("x"));
    }

    /** The types jsteer writes (the others it only reads: QuantFixturesTest checks them against llama.cpp). */
    private static final DType[] WRITABLE = {DType.F32, DType.F16, DType.Q4_0, DType.Q8_0, DType.BF16};

    @Test
    void everyDtypeSurvivesWriteAndRead() throws IOException {
        Random random = new Random(42);
        int rows = 6, cols = 64;
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        float[] vector = {1f, -2f, 3.25f};
        List<GgufTensorSpec> specs = new java.util.ArrayList<>();
        for (DType t : WRITABLE) {
            specs.add(new GgufTensorSpec("w." + t.label(), t, new long[] {rows, cols},
                    sink -> sink.writeFloats(values, 0, values.length)));
        }
        specs.add(new GgufTensorSpec("norm", DType.F32, new long[] {3}, sink -> sink.writeFloats(vector, 0, 3)));
        specs.add(new GgufTensorSpec("cube", DType.F32, new long[] {2, 3, 64},
                sink -> sink.writeFloats(values, 0, 384)));
        Path file = dir.resolve("dtypes.gguf");
        GgufWriter.write(file, Map.of("general.alignment", 64L), specs);

        try (ModelWeights w = ModelFiles.open(file)) {
            assertEquals(List.of("w.f32", "w.f16", "w.q4_0", "w.q8_0", "w.bf16", "norm", "cube"),
                    List.copyOf(w.tensors().keySet()));
            for (DType t : WRITABLE) {
                TensorData d = w.tensor("w." + t.label());
                assertEquals(t, d.dtype());
                assertArrayEquals(new long[] {rows, cols}, d.shape());
                float[] back = d.data().toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    float tolerance = tolerance(t, values, i);
                    assertEquals(values[i], back[i], tolerance, t + " element " + i);
                }
            }
            assertArrayEquals(values, w.tensor("w.f32").data().toFloatArray(), "F32 is exact");
            assertArrayEquals(vector, w.tensor("norm").data().toFloatArray());
            assertArrayEquals(new long[] {2, 3, 64}, w.tensor("cube").shape());
        }
        GgufHeader header = GgufReader.readHeader(file);
        assertEquals(64, header.alignment());
        assertEquals(0, header.dataStart() % 64);
        header.tensors().forEach(t -> assertEquals(0, t.offset() % 64, t.name()));
        long[] ggmlDims = header.tensors().get(6).ggmlDims();
        assertArrayEquals(new long[] {64, 3, 2}, ggmlDims, "GGUF stores dims innermost first");
    }

    /** Half a quantization step of the value's block (plus float16 rounding of the scale). */
    private static float tolerance(DType t, float[] values, int i) {
        int block = i / 32 * 32;
        float amax = 0;
        for (int j = block; j < block + 32; j++) {
            amax = Math.max(amax, Math.abs(values[j]));
        }
        return switch (t) {
            case F32 -> 0f;
            case F16 -> Math.abs(values[i]) * 0x1p-11f + 1e-7f;
            case BF16 -> Math.abs(values[i]) * 0x1p-8f;
            case Q8_0 -> amax / 127f * 0.5f + amax * 1e-3f;
            // ggml's Q4_0 is asymmetric: d = max/-8, so values opposite the extreme can clip by a full step
            case Q4_0 -> amax / 8f * 1.01f + amax * 1e-2f;
            default -> throw new IllegalArgumentException(t + " is not written by jsteer");
        };
    }

    @Test
    void quantizedErrorIsSmallOverall() throws IOException {
        Random random = new Random(1);
        float[] values = new float[32 * 64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 0.02f;
        }
        Path file = dir.resolve("q.gguf");
        GgufWriter.write(file, Map.of(), List.of(
                new GgufTensorSpec("q8", DType.Q8_0, new long[] {32, 64}, s -> s.writeFloats(values, 0, values.length)),
                new GgufTensorSpec("q4", DType.Q4_0, new long[] {32, 64}, s -> s.writeFloats(values, 0, values.length))));
        try (ModelWeights w = ModelFiles.open(file)) {
            assertTrue(io.jsteer.weights.TestMath.relativeRmsError(values, w.tensor("q8").data().toFloatArray()) < 0.01);
            assertTrue(io.jsteer.weights.TestMath.relativeRmsError(values, w.tensor("q4").data().toFloatArray()) < 0.15);
        }
    }

    @Test
    void writeIsAtomicAndLeavesNoTempFiles() throws IOException {
        Path file = dir.resolve("a.gguf");
        GgufWriter.write(file, Map.of("k", "old"), List.of());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> GgufWriter.write(file,
                Map.of("k", "new"), List.of(new GgufTensorSpec("t", DType.F32, new long[] {4},
                        s -> s.writeFloats(new float[3], 0, 3)))));
        assertEquals("old", GgufReader.readHeader(file).metadata().get("k"), "a failed write leaves the old file");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }
}
