package io.jsteer.weights.quant;

import io.jsteer.tensor.DType;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.gguf.GgufTensorSpec;
import io.jsteer.weights.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Converts any readable model into a GGUF file: 2-D (and higher) weights in the target dtype,
 * 1-D norms in F32; weights whose rows are not whole blocks of a quantized target stay F32, or
 * Q8_0 under a K-quant target when their rows hold blocks of 32 (llama.cpp also falls back for
 * such rows); a K-quant target that no weight can hold is refused. A model stored for neox RoPE (Hugging Face) gets its Q and K rows
 * permuted into GGUF's adjacent-pair layout and is recorded as {@code jsteer.rope.style=normal}.
 * Tensors are streamed one at a time; unchanged ones are copied byte for byte.
 */
public final class GgufConverter {

    private static final Pattern ATTN_Q = Pattern.compile("blk\\.\\d+\\.attn_q\\.weight");
    private static final Pattern ATTN_K = Pattern.compile("blk\\.\\d+\\.attn_k\\.weight");

    private GgufConverter() {}

    public static void convert(ModelWeights in, DType target, Map<String, Object> extraMetadata, Path out)
            throws IOException {
        boolean neox = LlamaKeys.ROPE_STYLE_NEOX.equals(in.metadata().get(LlamaKeys.ROPE_STYLE));
        Map<String, Object> metadata = new LinkedHashMap<>(in.metadata());
        metadata.put(LlamaKeys.FILE_TYPE, (long) fileType(target));
        if (target.isQuantized()) {
            metadata.put(LlamaKeys.QUANTIZATION_VERSION, 2L);
        }
        if (neox) {
            metadata.put(LlamaKeys.ROPE_STYLE, LlamaKeys.ROPE_STYLE_NORMAL);
        }
        metadata.putAll(extraMetadata);

        if (target.blockSize() == 256 && in.tensors().values().stream().noneMatch(t -> storedType(t, target) == target)) {
            long cols = in.tensors().values().stream().filter(t -> t.rank() == 2).mapToLong(TensorData::cols).max().orElse(0);
            throw new WeightFormatException(in.path(), "--dtype " + target.label(), "no weight of this model has rows that hold "
                    + target.label() + "'s super-blocks of 256 values (its longest rows have " + cols
                    + "); write q8_0 or q4_0 instead");
        }
        List<GgufTensorSpec> specs = new ArrayList<>();
        for (TensorData t : in.tensors().values()) {
            DType type = storedType(t, target);
            int headSize = neox ? ropeHeadSize(in, t) : 0;
            if (headSize == 0 && type == t.dtype()) {
                specs.add(new GgufTensorSpec(t.name(), type, t.shape(), sink -> sink.writeBytes(t.data().segment())));
            } else {
                specs.add(new GgufTensorSpec(t.name(), type, t.shape(), sink -> {
                    int cols = Math.toIntExact(t.cols());
                    float[] row = new float[cols];
                    for (long r = 0; r < t.rows(); r++) {
                        long source = headSize == 0 ? r : RopePermutation.neoxRowForNormalRow(r, headSize);
                        t.data().copyTo(source * cols, row, 0, cols);
                        sink.writeFloats(row, 0, cols);
                    }
                }));
            }
        }
        GgufWriter.write(out, metadata, specs);
    }

    /** The dtype a tensor is stored in when converting to {@code target}. */
    public static DType storedType(TensorData t, DType target) {
        return storedType(t.rank(), t.cols(), target);
    }

    /** The dtype of a tensor of {@code rank} dims with rows of {@code cols} when the model's target is {@code target}. */
    public static DType storedType(int rank, long cols, DType target) {
        if (rank < 2) {
            return DType.F32; // norms are tiny and precision-sensitive
        }
        if (cols % target.blockSize() == 0) {
            return target;
        }
        // rows too short for a K-quant's super-blocks: 8-bit blocks of 32 where they fit (llama.cpp also falls back to a legacy type)
        return target.blockSize() == 256 && cols % 32 == 0 ? DType.Q8_0 : DType.F32;
    }

    /** ggml's llama_ftype for a model that is mostly {@code type}. */
    public static int fileType(DType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q4_K -> 14; // LLAMA_FTYPE_MOSTLY_Q4_K_S: every matrix Q4_K
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("jsteer writes f32, f16, bf16, q8_0, q4_0, q4_k and q6_k models, not "
                    + type.label() + " (read it, then convert to one of those)");
        };
    }

    /** Rows per head of a Q or K weight that must be permuted; 0 for every other tensor. */
    private static int ropeHeadSize(ModelWeights in, TensorData t) {
        String heads;
        if (ATTN_Q.matcher(t.name()).matches()) {
            heads = LlamaKeys.HEAD_COUNT;
        } else if (ATTN_K.matcher(t.name()).matches()) {
            heads = LlamaKeys.HEAD_COUNT_KV;
        } else {
            return 0;
        }
        long n = in.metadataLong(heads);
        if (n <= 0 || t.rank() != 2 || t.rows() % n != 0 || (t.rows() / n) % 2 != 0) {
            throw new WeightFormatException(in.path(), "tensor " + t.name(), "rows " + t.rows()
                    + " are not an even number per head for " + heads + "=" + n);
        }
        return Math.toIntExact(t.rows() / n);
    }
}
