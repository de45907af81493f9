package io.jsteer.weights.llama2c;

import io.jsteer.tensor.FloatTensor;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.LittleEndianWriter;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a llama2.c legacy (version 0) checkpoint: float32 only, stacked per-layer arrays in
 * run.c's order. Used to hand jsteer's random-weight benchmark models to llama2.c's run.c, so
 * both time the very same weights.
 */
public final class Llama2cWriter {

    private Llama2cWriter() {}

    /**
     * @param in a llama model whose RoPE layout is llama2.c's (adjacent pairs, i.e. GGUF "normal")
     */
    public static void write(ModelWeights in, Path out) throws IOException {
        var m = in.metadata();
        if ("neox".equals(m.get("jsteer.rope.style"))) {
            throw new WeightFormatException(in.path(), "jsteer.rope.style", "neox layout cannot be written as llama2.c (convert to GGUF first)");
        }
        int dim = (int) in.metadataLong("llama.embedding_length");
        int hidden = (int) in.metadataLong("llama.feed_forward_length");
        int layers = (int) in.metadataLong("llama.block_count");
        int heads = (int) in.metadataLong("llama.attention.head_count");
        int kvHeads = m.containsKey("llama.attention.head_count_kv") ? (int) in.metadataLong("llama.attention.head_count_kv") : heads;
        long[] embShape = in.tensor("token_embd.weight").shape();
        int vocab = (int) embShape[0];
        int seqLen = (int) Math.min(in.metadataLong("llama.context_length"), 1 << 16);
        boolean shared = !in.hasTensor("output.weight");
        int headSize = dim / heads;
        AtomicFileWriter.write(out, w -> {
            for (int v : new int[] {dim, hidden, layers, heads, kvHeads, shared ? vocab : -vocab, seqLen}) {
                w.i32(v);
            }
            floats(w, in.tensor("token_embd.weight").data());
            for (String name : List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_down", "ffn_up")) {
                for (int l = 0; l < layers; l++) {
                    floats(w, in.tensor("blk." + l + "." + name + ".weight").data());
                }
            }
            floats(w, in.tensor("output_norm.weight").data());
            // the legacy freq_cis_real / freq_cis_imag tables, which run.c skips
            long legacy = 2L * seqLen * (headSize / 2);
            for (long i = 0; i < legacy; i++) {
                w.f32(0f);
            }
            if (!shared) {
                floats(w, in.tensor("output.weight").data());
            }
        });
    }

    private static void floats(LittleEndianWriter w, FloatTensor t) throws IOException {
        float[] row = new float[4096];
        for (long off = 0; off < t.size(); off += row.length) {
            int n = (int) Math.min(row.length, t.size() - off);
            // quantized types decode by whole blocks; 4096 is a multiple of every block size
            t.copyTo(off, row, 0, n);
            for (int i = 0; i < n; i++) {
                w.f32(row[i]);
            }
        }
    }
}
