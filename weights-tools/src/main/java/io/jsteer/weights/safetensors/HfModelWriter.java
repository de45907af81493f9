package io.jsteer.weights.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.LittleEndianWriter;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.quant.RopePermutation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a llama model (any readable format, any dtype) as a Hugging Face checkpoint directory:
 * {@code config.json} and one float32 {@code model.safetensors} with HF tensor names, which is what
 * Jlama, PyTorch ports and jsteer's own safetensors reader load. Q and K rows of a model stored for
 * "normal" (adjacent-pair) RoPE are reordered into HF's rotate-half layout, the inverse of what
 * {@link io.jsteer.weights.quant.GgufConverter} does when it reads HF; quantized weights are
 * dequantized. Tensors stream one row at a time, so a 5 GB model needs no 5 GB of heap. The
 * directory is replaced as a whole ({@link AtomicFileWriter#writeDirectory}).
 */
public final class HfModelWriter {

    private HfModelWriter() {}

    public static void write(ModelWeights in, Path dir) throws IOException {
        if (!"llama".equals(in.metadata().get(LlamaKeys.ARCHITECTURE))) {
            throw new WeightFormatException(in.path(), LlamaKeys.ARCHITECTURE, "only llama models can be written as HF checkpoints",
                    in.metadata().get(LlamaKeys.ARCHITECTURE));
        }
        boolean normalRope = !LlamaKeys.ROPE_STYLE_NEOX.equals(in.metadata().get(LlamaKeys.ROPE_STYLE));
        int heads = Math.toIntExact(in.metadataLong(LlamaKeys.HEAD_COUNT));
        int kvHeads = in.metadata().containsKey(LlamaKeys.HEAD_COUNT_KV)
                ? Math.toIntExact(in.metadataLong(LlamaKeys.HEAD_COUNT_KV)) : heads;
        byte[] config = configJson(in, heads, kvHeads);
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (TensorData t : in.tensors().values()) {
            String hf = HfTensorNames.toHf(t.name());
            int headSize = 0;
            if (normalRope && t.name().endsWith(".attn_q.weight")) {
                headSize = rowsPerHead(in, t, heads);
            } else if (normalRope && t.name().endsWith(".attn_k.weight")) {
                headSize = rowsPerHead(in, t, kvHeads);
            }
            entries.add(new Entry(hf, t, headSize, offset));
            offset += 4 * t.elementCount();
        }
        byte[] header = header(entries);
        AtomicFileWriter.writeDirectory(dir, tmp -> {
            AtomicFileWriter.write(tmp.resolve("config.json"), out -> out.bytes(config));
            AtomicFileWriter.write(tmp.resolve(SafetensorsReader.SINGLE_FILE), out -> {
                out.i64(header.length);
                out.bytes(header);
                for (Entry e : entries) {
                    writeRows(out, e);
                }
            });
        });
    }

    private record Entry(String name, TensorData tensor, int ropeHeadSize, long offset) {}

    /** Rows of a tensor in file order; Q/K rows taken from the normal-RoPE row that becomes each neox row. */
    private static void writeRows(LittleEndianWriter out, Entry e) throws IOException {
        TensorData t = e.tensor();
        int cols = Math.toIntExact(t.cols());
        float[] row = new float[cols];
        for (long r = 0; r < t.rows(); r++) {
            long source = e.ropeHeadSize() == 0 ? r : RopePermutation.normalRowForNeoxRow(r, e.ropeHeadSize());
            t.data().copyTo(source * cols, row, 0, cols);
            for (float v : row) {
                out.f32(v);
            }
        }
    }

    private static int rowsPerHead(ModelWeights in, TensorData t, int heads) {
        if (t.rank() != 2 || t.rows() % heads != 0 || (t.rows() / heads) % 2 != 0) {
            throw new WeightFormatException(in.path(), "tensor " + t.name(), "rows " + t.rows()
                    + " are not an even number per head for " + heads + " heads");
        }
        return Math.toIntExact(t.rows() / heads);
    }

    /** The safetensors JSON header, padded with spaces so the data starts 8-byte aligned. */
    private static byte[] header(List<Entry> entries) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        for (Entry e : entries) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("dtype", "F32");
            m.put("shape", e.tensor().shape());
            m.put("data_offsets", new long[] {e.offset(), e.offset() + 4 * e.tensor().elementCount()});
            header.put(e.name(), m);
        }
        byte[] json = new ObjectMapper().writeValueAsBytes(header);
        int padded = (json.length + 8 + 7) / 8 * 8 - 8;
        byte[] out = new byte[padded];
        java.util.Arrays.fill(out, (byte) ' ');
        System.arraycopy(json, 0, out, 0, json.length);
        return out;
    }

    /** HF LlamaConfig fields from the unified metadata (what {@link HfConfig#read} reads back). */
    private static byte[] configJson(ModelWeights in, int heads, int kvHeads) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode c = om.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_act", "silu");
        long dim = in.metadataLong(LlamaKeys.EMBEDDING_LENGTH);
        c.put("hidden_size", dim);
        c.put("intermediate_size", in.metadataLong(LlamaKeys.FEED_FORWARD_LENGTH));
        c.put("num_hidden_layers", in.metadataLong(LlamaKeys.BLOCK_COUNT));
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        if (in.metadata().containsKey(LlamaKeys.ROPE_DIMENSION_COUNT) && in.metadataLong(LlamaKeys.ROPE_DIMENSION_COUNT) * heads != dim) {
            c.put("head_dim", in.metadataLong(LlamaKeys.ROPE_DIMENSION_COUNT));
        }
        c.put("max_position_embeddings", in.metadataLong(LlamaKeys.CONTEXT_LENGTH));
        c.put("rms_norm_eps", (float) in.metadataDouble(LlamaKeys.RMS_EPSILON));
        c.put("rope_theta", in.metadata().containsKey(LlamaKeys.ROPE_FREQ_BASE)
                ? (float) in.metadataDouble(LlamaKeys.ROPE_FREQ_BASE) : 10000f);
        TensorData embd = in.tensor(LlamaKeys.TOKEN_EMBD);
        c.put("vocab_size", embd.shape()[0]);
        c.put("tie_word_embeddings", !in.hasTensor(LlamaKeys.OUTPUT));
        if (in.metadata().containsKey(LlamaKeys.ROPE_SCALING_TYPE)) {
            ObjectNode rs = c.putObject("rope_scaling");
            rs.put("rope_type", in.metadataString(LlamaKeys.ROPE_SCALING_TYPE));
            putIfPresent(in, rs, LlamaKeys.ROPE_SCALING_FACTOR, "factor");
            putIfPresent(in, rs, LlamaKeys.ROPE_SCALING_LOW_FREQ_FACTOR, "low_freq_factor");
            putIfPresent(in, rs, LlamaKeys.ROPE_SCALING_HIGH_FREQ_FACTOR, "high_freq_factor");
            if (in.metadata().containsKey(LlamaKeys.ROPE_SCALING_ORIGINAL_CONTEXT)) {
                rs.put("original_max_position_embeddings", in.metadataLong(LlamaKeys.ROPE_SCALING_ORIGINAL_CONTEXT));
            }
        }
        // Token ids only: Jlama reads these two, nothing here encodes text.
        c.put("bos_token_id", 1);
        c.put("eos_token_id", 2);
        c.put("torch_dtype", "float32");
        return om.writerWithDefaultPrettyPrinter().writeValueAsString(c).getBytes(StandardCharsets.UTF_8);
    }

    private static void putIfPresent(ModelWeights in, ObjectNode node, String key, String field) {
        if (in.metadata().containsKey(key)) {
            node.put(field, (float) in.metadataDouble(key));
        }
    }
}
