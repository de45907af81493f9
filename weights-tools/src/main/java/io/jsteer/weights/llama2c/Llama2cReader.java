package io.jsteer.weights.llama2c;

import io.jsteer.weights.InputFiles;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.weights.HeaderReader;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.ModelFormat;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads llama2.c legacy (version 0) float32 checkpoints as read by run.c. The header is checked
 * for sanity and the file length must match the length it implies exactly (with or without
 * the unused freq_cis tables when the classifier is shared); tensors are slices of the mapped
 * file, renamed to GGUF's llama names, one per layer.
 */
public final class Llama2cReader {

    /** Generous bounds that reject garbage headers before any arithmetic. */
    private static final int MAX_DIM = 1 << 20;
    private static final int MAX_LAYERS = 1 << 12;
    private static final int MAX_VOCAB = 1 << 24;

    private Llama2cReader() {}

    public static ModelWeights open(Path file) {
        InputFiles.requireRegular("", file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            HeaderReader in = new HeaderReader(file, channel);
            Llama2cHeader h = readHeader(in);
            long size = channel.size();
            long classifierOffset = checkLength(file, h, size);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment all = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                Map<String, TensorData> tensors = slice(all, h, classifierOffset);
                return new ModelWeights(file, ModelFormat.LLAMA2C, metadata(h), tensors, arena);
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Reads and validates the header only (also used to detect the format). */
    public static Llama2cHeader readHeader(Path file) {
        InputFiles.requireRegular("", file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Llama2cHeader h = readHeader(new HeaderReader(file, channel));
            checkLength(file, h, channel.size());
            return h;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static Llama2cHeader readHeader(HeaderReader in) {
        Path file = in.file();
        int dim = bounded(file, "dim", in.i32("dim"), MAX_DIM);
        int hidden = bounded(file, "hidden_dim", in.i32("hidden_dim"), MAX_DIM * 8);
        int layers = bounded(file, "n_layers", in.i32("n_layers"), MAX_LAYERS);
        int heads = bounded(file, "n_heads", in.i32("n_heads"), dim);
        int kvHeads = bounded(file, "n_kv_heads", in.i32("n_kv_heads"), heads);
        int rawVocab = in.i32("vocab_size");
        if (rawVocab == Integer.MIN_VALUE) {
            throw new WeightFormatException(file, "vocab_size", "out of range", rawVocab);
        }
        int vocab = bounded(file, "vocab_size", Math.abs(rawVocab), MAX_VOCAB);
        int seqLen = bounded(file, "seq_len", in.i32("seq_len"), MAX_DIM * 16);
        if (dim % heads != 0) {
            throw new WeightFormatException(file, "n_heads", "does not divide dim " + dim, heads);
        }
        if (heads % kvHeads != 0) {
            throw new WeightFormatException(file, "n_kv_heads", "does not divide n_heads " + heads, kvHeads);
        }
        if ((dim / heads) % 2 != 0) {
            throw new WeightFormatException(file, "n_heads", "head size " + dim / heads + " is odd (RoPE needs pairs)", heads);
        }
        return new Llama2cHeader(dim, hidden, layers, heads, kvHeads, vocab, seqLen, rawVocab > 0);
    }

    private static int bounded(Path file, String field, int value, int max) {
        if (value <= 0 || value > max) {
            throw new WeightFormatException(file, field, "must be in 1.." + max + " for a llama2.c checkpoint", value);
        }
        return value;
    }

    /**
     * Checks the file length against the header and returns the byte offset of the classifier
     * (token embedding when shared).
     */
    static long checkLength(Path file, Llama2cHeader h, long size) {
        long weights = Llama2cHeader.BYTES + 4 * h.weightFloats();
        long withFreq = weights + 4 * h.freqCisFloats();
        long full = withFreq + 4 * h.classifierFloats();
        boolean ok = size == full || (h.sharedClassifier() && size == weights);
        if (!ok) {
            throw new WeightFormatException(file, "file length", "header " + h + " implies " + full + " bytes"
                    + (h.sharedClassifier() ? " (or " + weights + " without the freq_cis tables)" : ""), size);
        }
        return h.sharedClassifier() ? Llama2cHeader.BYTES : withFreq;
    }

    private static Map<String, TensorData> slice(MemorySegment all, Llama2cHeader h, long classifierOffset) {
        Slicer s = new Slicer(all, Llama2cHeader.BYTES);
        long d = h.dim(), kv = h.kvDim(), hid = h.hiddenDim();
        int l = h.layers();
        Map<String, TensorData> out = new LinkedHashMap<>();
        out.put(LlamaKeys.TOKEN_EMBD, s.next(LlamaKeys.TOKEN_EMBD, h.vocabSize(), d));
        // Each file array holds all layers back to back; llama.cpp names one tensor per layer.
        s.perLayer(out, l, "attn_norm", d);
        s.perLayer(out, l, "attn_q", d, d);
        s.perLayer(out, l, "attn_k", kv, d);
        s.perLayer(out, l, "attn_v", kv, d);
        s.perLayer(out, l, "attn_output", d, d);
        s.perLayer(out, l, "ffn_norm", d);
        s.perLayer(out, l, "ffn_gate", hid, d);
        s.perLayer(out, l, "ffn_down", d, hid);
        s.perLayer(out, l, "ffn_up", hid, d);
        out.put(LlamaKeys.OUTPUT_NORM, s.next(LlamaKeys.OUTPUT_NORM, d));
        if (!h.sharedClassifier()) {
            Slicer wcls = new Slicer(all, classifierOffset);
            out.put(LlamaKeys.OUTPUT, wcls.next(LlamaKeys.OUTPUT, h.vocabSize(), d));
        }
        return out;
    }

    static Map<String, Object> metadata(Llama2cHeader h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(LlamaKeys.ARCHITECTURE, "llama");
        m.put(LlamaKeys.NAME, "llama2.c");
        m.put(LlamaKeys.CONTEXT_LENGTH, (long) h.seqLen());
        m.put(LlamaKeys.EMBEDDING_LENGTH, (long) h.dim());
        m.put(LlamaKeys.FEED_FORWARD_LENGTH, (long) h.hiddenDim());
        m.put(LlamaKeys.BLOCK_COUNT, (long) h.layers());
        m.put(LlamaKeys.HEAD_COUNT, (long) h.heads());
        m.put(LlamaKeys.HEAD_COUNT_KV, (long) h.kvHeads());
        m.put(LlamaKeys.ROPE_DIMENSION_COUNT, (long) h.headSize());
        m.put(LlamaKeys.RMS_EPSILON, 1e-5f);     // run.c's constant
        m.put(LlamaKeys.ROPE_FREQ_BASE, 10000f); // run.c's constant
        m.put(LlamaKeys.VOCAB_SIZE, (long) h.vocabSize());
        m.put(LlamaKeys.ROPE_STYLE, LlamaKeys.ROPE_STYLE_NORMAL);
        m.put(LlamaKeys.TIED_EMBEDDINGS, h.sharedClassifier());
        return m;
    }

    /** Cuts consecutive float32 tensors out of the mapped file. */
    private static final class Slicer {
        private final MemorySegment all;
        private long offset;

        Slicer(MemorySegment all, long offset) {
            this.all = all;
            this.offset = offset;
        }

        TensorData next(String name, long... shape) {
            long n = TensorData.elementCount(shape);
            MemorySegment seg = all.asSlice(offset, n * 4);
            offset += n * 4;
            return new TensorData(name, DType.F32, shape, FloatTensor.wrap(DType.F32, seg, n));
        }

        void perLayer(Map<String, TensorData> out, int layers, String part, long... shape) {
            for (int i = 0; i < layers; i++) {
                String name = LlamaKeys.blockTensor(i, part);
                out.put(name, next(name, shape));
            }
        }
    }
}
