package io.jsteer.weights.quant;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.Q4_0Tensor;
import io.jsteer.tensor.Q4_KTensor;
import io.jsteer.tensor.Q6_KTensor;
import io.jsteer.tensor.Q8_0Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Encodes float32 values into the byte layout of a {@link DType} (GGUF / ggml layouts). */
public final class TensorEncoder {

    private TensorEncoder() {}

    /**
     * Encodes {@code values[off, off+n)}; for quantized types {@code n} must be a whole number
     * of blocks.
     */
    public static byte[] encode(DType type, float[] values, int off, int n) {
        return switch (type) {
            case F32 -> {
                ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(values, off, n);
                yield b.array();
            }
            case F16 -> {
                byte[] out = new byte[n * 2];
                for (int i = 0; i < n; i++) {
                    short h = Float.floatToFloat16(values[off + i]);
                    out[2 * i] = (byte) h;
                    out[2 * i + 1] = (byte) (h >> 8);
                }
                yield out;
            }
            case BF16 -> {
                byte[] out = new byte[n * 2];
                for (int i = 0; i < n; i++) {
                    short h = toBfloat16(values[off + i]);
                    out[2 * i] = (byte) h;
                    out[2 * i + 1] = (byte) (h >> 8);
                }
                yield out;
            }
            case Q8_0 -> Q8_0Tensor.quantize(slice(values, off, n));
            case Q4_0 -> Q4_0Tensor.quantize(slice(values, off, n));
            case Q4_K -> Q4_KTensor.quantize(slice(values, off, n));
            case Q6_K -> Q6_KTensor.quantize(slice(values, off, n));
            default -> throw new IllegalArgumentException("jsteer writes f32, f16, bf16, q8_0, q4_0, q4_k and q6_k, not " + type.label()
                    + " (llama.cpp's llama-quantize writes the other types; jsteer reads them all)");
        };
    }

    public static byte[] encode(DType type, float[] values) {
        return encode(type, values, 0, values.length);
    }

    /** float32 → bfloat16 with round-to-nearest-even, as ggml does; NaN stays a (quiet) NaN. */
    public static short toBfloat16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    private static float[] slice(float[] values, int off, int n) {
        return off == 0 && n == values.length ? values : Arrays.copyOfRange(values, off, off + n);
    }
}
