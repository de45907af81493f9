package io.jsteer.weights.cvec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import io.jsteer.weights.SharedFiles;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.gguf.GgufHeader;
import io.jsteer.weights.gguf.GgufReader;
import io.jsteer.weights.gguf.GgufTensorInfo;
import io.jsteer.weights.gguf.GgufTensorSpec;
import io.jsteer.weights.gguf.GgufValueType;
import io.jsteer.weights.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlVectorFilesTest {

    @TempDir
    Path dir;

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static ControlVector sample(int width, int... layers) {
        Random r = new Random(7);
        TreeMap<Integer, float[]> d = new TreeMap<>();
        for (int l : layers) {
            d.put(l, random(r, width));
        }
        return ControlVector.of("llama", d);
    }

    @Test
    void exportThenImportGivesTheSameVector() throws IOException {
        ControlVector v = sample(48, 1, 2, 3, 4);
        Path file = dir.resolve("happy.gguf");
        ControlVectorFiles.write(file, v);
        ControlVector back = ControlVectorFiles.read(file);
        assertEquals("llama", back.modelHint());
        assertEquals(4, back.layerCount());
        assertEquals(v.directions().keySet(), back.directions().keySet());
        for (int l : v.directions().keySet()) {
            assertArrayEquals(v.direction(l), back.direction(l), 0f, "direction." + l);
        }
    }

    @Test
    void partialSetKeepsItsIndicesAndLayerCount() throws IOException {
        ControlVector v = new ControlVector("llama", 5, new TreeMap<>(Map.of(3, new float[] {1, -2, 3}, 5, new float[] {0.5f, 0, -1})));
        Path file = dir.resolve("partial.gguf");
        ControlVectorFiles.write(file, v);
        ControlVector back = ControlVectorFiles.read(file);
        assertEquals(List.of(3, 5), List.copyOf(back.directions().keySet()));
        assertEquals(5, back.layerCount());
        assertArrayEquals(new float[] {0.5f, 0, -1}, back.direction(5));
    }

    /**
     * Parses the written bytes independently of GgufReader, field by field as llama.cpp's gguf
     * loader does: v3 header, the three metadata keys with the types llama.cpp's generator uses
     * (string, string, int32), then 1-D F32 tensors "direction.N" of n_embd values at 32-byte
     * aligned offsets.
     */
    @Test
    void fileLayoutIsWhatLlamaCppReads() throws IOException {
        ControlVector v = sample(5, 1, 2);
        Path file = dir.resolve("layout.gguf");
        ControlVectorFiles.write(file, v);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("GGUF", new String(new byte[] {b.get(), b.get(), b.get(), b.get()}, StandardCharsets.US_ASCII));
        assertEquals(3, b.getInt());
        assertEquals(2, b.getLong(), "tensor count");
        assertEquals(3, b.getLong(), "metadata count");
        Map<String, Object> kv = new LinkedHashMap<>();
        Map<String, Integer> types = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            String key = string(b);
            int type = b.getInt();
            types.put(key, type);
            kv.put(key, type == 8 ? string(b) : (Object) b.getInt());
        }
        assertEquals(Map.of("general.architecture", 8, "controlvector.model_hint", 8, "controlvector.layer_count", 5), types);
        assertEquals("controlvector", kv.get("general.architecture"));
        assertEquals("llama", kv.get("controlvector.model_hint"));
        assertEquals(2, kv.get("controlvector.layer_count"));
        long[] offsets = new long[2];
        for (int t = 0; t < 2; t++) {
            assertEquals("direction." + (t + 1), string(b));
            assertEquals(1, b.getInt(), "n_dims");
            assertEquals(5, b.getLong(), "ne[0] = n_embd");
            assertEquals(0, b.getInt(), "GGML_TYPE_F32");
            offsets[t] = b.getLong();
            assertEquals(0, offsets[t] % 32, "aligned offset");
        }
        int dataStart = (b.position() + 31) / 32 * 32;
        for (int t = 0; t < 2; t++) {
            float[] want = v.direction(t + 1);
            for (int i = 0; i < 5; i++) {
                assertEquals(want[i], b.getFloat(dataStart + (int) offsets[t] + 4 * i));
            }
        }
        // and GgufReader sees the same types
        GgufHeader h = GgufReader.readHeader(file);
        assertEquals(GgufValueType.INT32, h.metadataTypes().get("controlvector.layer_count"));
        GgufTensorInfo first = h.tensors().getFirst();
        assertArrayEquals(new long[] {5}, first.ggmlDims());
        assertEquals(DType.F32, first.dtype());
    }

    private static String string(ByteBuffer b) {
        int n = (int) b.getLong();
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    @Test
    void blockZeroCannotBeExported() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sample(4, 0, 1));
        assertTrue(e.getMessage().contains("block 0"), e.getMessage());
    }

    @Test
    void unequalWidthsAreRefused() {
        TreeMap<Integer, float[]> d = new TreeMap<>(Map.of(1, new float[3], 2, new float[4]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ControlVector.of("llama", d));
        assertTrue(e.getMessage().contains("direction.2"), e.getMessage());
    }

    @Test
    void aModelFileIsNotAControlVector() {
        Path model = SharedFiles.model("stories260K.gguf");
        WeightFormatException e = assertThrows(WeightFormatException.class, () -> ControlVectorFiles.read(model));
        assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
    }

    @Test
    void badTensorsAreRefusedByName() throws IOException {
        Path zero = dir.resolve("zero.gguf");
        writeRaw(zero, "direction.0", DType.F32, new long[] {4});
        assertTrue(assertThrows(WeightFormatException.class, () -> ControlVectorFiles.read(zero)).getMessage()
                .contains("direction.0"));
        Path named = dir.resolve("named.gguf");
        writeRaw(named, "blk.1.attn_q.weight", DType.F32, new long[] {4});
        assertTrue(assertThrows(WeightFormatException.class, () -> ControlVectorFiles.read(named)).getMessage()
                .contains("direction.N"));
        Path f16 = dir.resolve("f16.gguf");
        writeRaw(f16, "direction.2", DType.F16, new long[] {4});
        assertTrue(assertThrows(WeightFormatException.class, () -> ControlVectorFiles.read(f16)).getMessage()
                .contains("F32"));
        Path twoD = dir.resolve("2d.gguf");
        writeRaw(twoD, "direction.2", DType.F32, new long[] {2, 4});
        assertTrue(assertThrows(WeightFormatException.class, () -> ControlVectorFiles.read(twoD)).getMessage()
                .contains("one dimension"));
    }

    @Test
    void twoNamesForOneLayerAreRefused() throws IOException {
        // before: direction.1 and direction.01 both read as layer 1 and the later one silently replaced the earlier
        Path dup = dir.resolve("dup.gguf");
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "controlvector");
        float[] a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
        GgufWriter.write(dup, meta, List.of(
                new GgufTensorSpec("direction.1", DType.F32, new long[] {4}, sink -> sink.writeFloats(a, 0, 4)),
                new GgufTensorSpec("direction.01", DType.F32, new long[] {4}, sink -> sink.writeFloats(b, 0, 4))));
        String m = assertThrows(WeightFormatException.class, () -> ControlVectorFiles.read(dup)).getMessage();
        assertTrue(m.contains("dup.gguf") && m.contains("tensor direction.01") && m.contains("second tensor for layer 1"), m);
    }

    private static void writeRaw(Path file, String tensor, DType dtype, long[] shape) throws IOException {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "controlvector");
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] values = new float[(int) n];
        GgufWriter.write(file, meta, List.of(new GgufTensorSpec(tensor, dtype, shape,
                sink -> sink.writeFloats(values, 0, values.length))));
    }
}
