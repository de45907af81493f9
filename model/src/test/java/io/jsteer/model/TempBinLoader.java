package io.jsteer.model;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** TEMPORARY until weights-tools lands: maps stories260K.bin. */
final class TempBinLoader {
    static LlamaEngineParts load(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p)) {
            MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
            ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            int dim = s.get(I, 0), hid = s.get(I, 4), L = s.get(I, 8), H = s.get(I, 12), KV = s.get(I, 16), V = s.get(I, 20), seq = s.get(I, 24);
            Map<String, Object> meta = new HashMap<>();
            meta.put("llama.embedding_length", (long) dim);
            meta.put("llama.feed_forward_length", (long) hid);
            meta.put("llama.block_count", (long) L);
            meta.put("llama.attention.head_count", (long) H);
            meta.put("llama.attention.head_count_kv", (long) KV);
            meta.put("llama.vocab_size", (long) Math.abs(V));
            meta.put("llama.context_length", (long) seq);
            LlamaConfig c = LlamaConfig.fromMetadata(meta);
            int kv = c.kvDim();
            long[] off = {28};
            Map<String, FloatTensor> t = new HashMap<>();
            java.util.function.BiFunction<String, Long, Void> take = (name, n) -> {
                t.put(name, FloatTensor.wrap(DType.F32, s.asSlice(off[0], n * 4), n));
                off[0] += n * 4;
                return null;
            };
            take.apply("token_embd.weight", (long) V * dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".attn_norm.weight", (long) dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".attn_q.weight", (long) dim * dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".attn_k.weight", (long) kv * dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".attn_v.weight", (long) kv * dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".attn_output.weight", (long) dim * dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".ffn_norm.weight", (long) dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".ffn_gate.weight", (long) hid * dim);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".ffn_down.weight", (long) dim * hid);
            for (int l = 0; l < L; l++) take.apply("blk." + l + ".ffn_up.weight", (long) hid * dim);
            take.apply("output_norm.weight", (long) dim);
            LlamaWeights w = LlamaWeights.load(c, new TensorLookup() {
                public boolean has(String n) { return t.containsKey(n); }
                public FloatTensor get(String n, long... shape) { return t.get(n); }
            });
            return new LlamaEngineParts(c, w);
        }
    }
    record LlamaEngineParts(LlamaConfig config, LlamaWeights weights) {}
}
