package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RopeTest {

    /** Llama 3.2's scaling: factor 32, low 1, high 4, original context 8192. */
    private final RopeScaling llama3 = new RopeScaling(32f, 1f, 4f, 8192);

    @Test
    void llama3ScalingKeepsShortWavelengthsDividesLongOnesAndBlendsBetween() {
        // wavelength 2π/1 ≈ 6.3 < 8192/4: unchanged
        assertEquals(1.0, llama3.scale(1.0), 0);
        // wavelength 2π/1e-4 ≈ 62832 > 8192: divided by the factor
        assertEquals(1e-4 / 32, llama3.scale(1e-4), 1e-15);
        // wavelength 4096 (between 2048 and 8192): smooth = (8192/4096 - 1)/(4 - 1) = 1/3
        double f = 2 * Math.PI / 4096;
        assertEquals((1 - 1.0 / 3) * f / 32 + f / 3, llama3.scale(f), 1e-15);
    }

    @Test
    void rotationByPositionZeroIsIdentityAndNormIsPreserved() {
        LlamaConfig c = new LlamaConfig(16, 32, 1, 2, 1, 10, 64, 1e-5f, 10000f, RopeStyle.NORMAL, llama3, false);
        RopeTable t = new RopeTable(c, 64);
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8};
        float[] y = x.clone();
        t.rotate(y, 2, 0);
        org.junit.jupiter.api.Assertions.assertArrayEquals(x, y, 0f);
        t.rotate(y, 2, 37);
        // adjacent pair (x0, x1) rotated by 37 * freq0 with freq0 = 1 (unscaled: short wavelength)
        assertEquals(Math.cos(37) * 1 - Math.sin(37) * 2, y[0], 1e-5);
        assertEquals(Math.sin(37) * 1 + Math.cos(37) * 2, y[1], 1e-5);
        double n0 = 0, n1 = 0;
        for (int i = 0; i < 16; i++) {
            n0 += x[i] * x[i];
            n1 += y[i] * y[i];
        }
        assertEquals(n0, n1, 1e-3);
    }

    @Test
    void neoxPairsTheTwoHalvesOfAHead() {
        LlamaConfig c = new LlamaConfig(8, 16, 1, 1, 1, 10, 8, 1e-5f, 10000f, RopeStyle.NEOX, null, false);
        float[] x = {1, 0, 0, 0, 0, 0, 0, 0};
        new RopeTable(c, 8).rotate(x, 1, 3);
        // dimension 0 pairs with dimension 4 (half = 4), frequency 1
        assertEquals(Math.cos(3), x[0], 1e-6);
        assertEquals(Math.sin(3), x[4], 1e-6);
        assertEquals(0, x[1], 0);
    }
}
