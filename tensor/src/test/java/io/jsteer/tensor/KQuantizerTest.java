package io.jsteer.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Q4_K and Q6_K written by {@link KQuantizer} and read back by the tensor classes. */
class KQuantizerTest {

    private static float[] roundTrip(DType type, float[] x) {
        byte[] bytes = type == DType.Q4_K ? Q4_KTensor.quantize(x) : Q6_KTensor.quantize(x);
        assertEquals(x.length / 256 * type.blockBytes(), bytes.length);
        float[] back = new float[x.length];
        FloatTensor.wrap(type, MemorySegment.ofArray(bytes), x.length).copyTo(0, back, 0, x.length);
        return back;
    }

    /**
     * Per 256 values the error of each value is within half a quantization step of its sub-block
     * (plus the rounding of the stored 6- or 8-bit scale), measured against the block's range.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_K", "Q6_K"})
    void gaussianValuesComeBackWithinAStep(String name) {
        DType type = DType.parse(name);
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[256 * 6];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * (1 + i / 256)); // each super-block its own spread
        }
        x[300] = 25f; // one outlier in block 1
        float[] y = roundTrip(type, x);
        int levels = type == DType.Q4_K ? 15 : 63;
        double sumSq = 0, errSq = 0;
        for (int b = 0; b < x.length / 256; b++) {
            float lo = Float.MAX_VALUE, hi = -Float.MAX_VALUE;
            for (int i = 256 * b; i < 256 * (b + 1); i++) {
                lo = Math.min(lo, x[i]);
                hi = Math.max(hi, x[i]);
            }
            for (int i = 256 * b; i < 256 * (b + 1); i++) {
                assertTrue(Math.abs(x[i] - y[i]) <= (hi - lo) / levels, name + " value " + i + ": " + x[i] + " -> " + y[i]);
                sumSq += (double) x[i] * x[i];
                errSq += (double) (x[i] - y[i]) * (x[i] - y[i]);
            }
        }
        // signal-to-noise: about 4.5 bits for Q4_K, 6.5 for Q6_K on Gaussian values
        double snrDb = 10 * Math.log10(sumSq / errSq);
        assertTrue(snrDb > (type == DType.Q4_K ? 19 : 30), name + " SNR " + snrDb + " dB");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q4_K", "Q6_K"})
    void degenerateBlocksAreExactOrClose(String name) {
        DType type = DType.parse(name);
        float[] zeros = new float[256];
        assertArrayEquals(zeros, roundTrip(type, zeros));
        float[] negative = new float[256];
        for (int i = 0; i < 256; i++) {
            negative[i] = -1f - (i % 16) / 16f; // only negative values: Q4_K's min carries them
        }
        float[] back = roundTrip(type, negative);
        for (int i = 0; i < 256; i++) {
            assertEquals(negative[i], back[i], 0.04f, name + " at " + i);
        }
        float[] constant = new float[256];
        java.util.Arrays.fill(constant, 0.5f);
        float[] c = roundTrip(type, constant);
        for (float v : c) {
            assertEquals(0.5f, v, 0.5f / 64, name);
        }
    }

    @Test
    void partialSuperBlocksAreRefused() {
        for (Function<float[], byte[]> q : java.util.List.<Function<float[], byte[]>>of(Q4_KTensor::quantize, Q6_KTensor::quantize)) {
            var e = assertThrows(IllegalArgumentException.class, () -> q.apply(new float[320]));
            assertTrue(e.getMessage().contains("multiple of 256"), e.getMessage());
        }
    }
}
