package io.jsteer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Kernels;
import io.jsteer.tensor.Parallel;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/**
 * The kernel benchmark's matrices decode to finite values of a sane size in every type (the scale
 * fields it overwrites are where the type keeps them), and the two kernels it times agree on them.
 */
class RandomTensorsTest {

    @Test
    void everyTypeDecodesFiniteAndMatmulAgreesWithMatvec() {
        int rows = 8, cols = 512, tokens = 3;
        try (Arena arena = Arena.ofConfined(); Parallel par = new Parallel(1)) {
            for (DType type : DType.values()) {
                FloatTensor w = RandomTensors.matrix(type, rows, cols, 1, arena);
                float[] all = w.toFloatArray();
                double max = 0;
                for (float v : all) {
                    assertTrue(Float.isFinite(v), type + " decodes a non-finite value");
                    max = Math.max(max, Math.abs(v));
                }
                // quantized: |x| ≤ 0.01 · (largest quant, with the K-types' 6/8-bit sub-scales) ≪ 1e3; floats: N(0, 1)
                assertTrue(max > 0 && max < 1e3, type + ": largest |w| " + max);
                float[][] x = new float[tokens][cols], y = new float[tokens][rows];
                for (int t = 0; t < tokens; t++) {
                    for (int i = 0; i < cols; i++) {
                        x[t][i] = (float) Math.sin(0.1 * i + t);
                    }
                }
                Kernels.matmul(w, x, y, tokens, rows, cols, par);
                for (int t = 0; t < tokens; t++) {
                    float[] one = new float[rows];
                    Kernels.matvec(w, x[t], one, rows, cols, par);
                    for (int r = 0; r < rows; r++) {
                        assertEquals(one[r], y[t][r], 1e-3 * (1 + Math.abs(one[r])), type + " row " + r + " token " + t);
                    }
                }
            }
        }
    }
}
