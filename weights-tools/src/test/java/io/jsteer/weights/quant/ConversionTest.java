package io.jsteer.weights.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelFormat;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.SharedFiles;
import io.jsteer.weights.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConversionTest {

    @TempDir
    Path dir;

    @Test
    void binToF32GgufEqualsTheOriginalBitForBit() throws IOException {
        Path out = dir.resolve("stories260K.f32.gguf");
        try (ModelWeights bin = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            GgufConverter.convert(bin, DType.F32, Map.of("general.name", "converted"), out);
            try (ModelWeights gguf = ModelFiles.open(out);
                 ModelWeights reference = ModelFiles.open(SharedFiles.model("stories260K.gguf"))) {
                assertEquals(ModelFormat.GGUF, gguf.format());
                assertEquals(bin.tensors().keySet(), gguf.tensors().keySet());
                for (TensorData t : bin.tensors().values()) {
                    TensorData c = gguf.tensor(t.name());
                    assertEquals(DType.F32, c.dtype());
                    assertEquals(java.util.Arrays.toString(t.shape()), java.util.Arrays.toString(c.shape()));
                    assertEquals(-1L, t.data().segment().mismatch(c.data().segment()), t.name());
                    // and equal to llama.cpp's own conversion of the same checkpoint
                    assertEquals(-1L, reference.tensor(t.name()).data().segment().mismatch(c.data().segment()), t.name());
                }
                Map<String, Object> m = gguf.metadata();
                assertEquals("converted", m.get("general.name"));
                assertEquals(512L, m.get("llama.context_length"));
                assertEquals(4L, m.get("llama.attention.head_count_kv"));
                assertEquals(1e-5f, m.get("llama.attention.layer_norm_rms_epsilon"));
                assertEquals(true, m.get("jsteer.tied_embeddings"));
                assertEquals("normal", m.get("jsteer.rope.style"));
                assertEquals(0L, m.get("general.file_type"));
                assertFalse(gguf.hasTensor("output.weight"));
            }
        }
    }

    @Test
    void q8ConversionQuantizesWholeBlockRowsOnly() throws IOException {
        Path out = dir.resolve("stories260K.q8_0.gguf");
        try (ModelWeights bin = ModelFiles.open(SharedFiles.model("stories260K.bin"))) {
            GgufConverter.convert(bin, DType.Q8_0, Map.of(), out);
            try (ModelWeights q = ModelFiles.open(out)) {
                assertEquals(DType.Q8_0, q.tensor("blk.0.attn_q.weight").dtype());
                assertEquals(DType.Q8_0, q.tensor("token_embd.weight").dtype());
                assertEquals(DType.Q8_0, q.tensor("blk.0.ffn_gate.weight").dtype());
                assertEquals(DType.F32, q.tensor("blk.0.ffn_down.weight").dtype(), "172-long rows are not whole blocks");
                assertEquals(DType.F32, q.tensor("blk.0.attn_norm.weight").dtype());
                assertEquals(7L, q.metadata().get("general.file_type"));
                for (TensorData t : bin.tensors().values()) {
                    float[] a = t.data().toFloatArray();
                    float[] b = q.tensor(t.name()).data().toFloatArray();
                    double err = io.jsteer.weights.TestMath.relativeRmsError(a, b);
                    assertTrue(err < 0.01, t.name() + " relative error " + err);
                }
            }
        }
    }

    @Test
    void ggufToF16AndBackStaysClose() throws IOException {
        Path f16 = dir.resolve("f16.gguf");
        Path f32 = dir.resolve("f32.gguf");
        try (ModelWeights src = ModelFiles.open(SharedFiles.model("stories260K.gguf"))) {
            GgufConverter.convert(src, DType.F16, Map.of(), f16);
            try (ModelWeights half = ModelFiles.open(f16)) {
                assertEquals(DType.F16, half.tensor("output.weight").dtype());
                assertEquals(512, ((java.util.List<?>) half.metadata().get("tokenizer.ggml.tokens")).size(),
                        "the vocabulary is carried over");
                GgufConverter.convert(half, DType.F32, Map.of(), f32);
            }
            try (ModelWeights back = ModelFiles.open(f32)) {
                for (TensorData t : src.tensors().values()) {
                    float[] a = t.data().toFloatArray();
                    float[] b = back.tensor(t.name()).data().toFloatArray();
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(a[i], b[i], Math.abs(a[i]) * 1e-3 + 1e-7, t.name());
                    }
                }
            }
        }
    }
}
