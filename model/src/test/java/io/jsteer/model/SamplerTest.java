package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void greedyPicksTheFirstMaximum() {
        assertEquals(2, Sampler.greedy().sample(new float[] {1, 3, 5, 5, -1}, 5));
    }

    @Test
    void samplingFollowsTheSoftmaxAndIsReproducible() {
        float[] logits = {0f, (float) Math.log(3), -30f};
        Sampler s = new Sampler(1f, 1f, 7);
        int[] counts = new int[3];
        for (int i = 0; i < 20000; i++) {
            counts[s.sample(logits, 3)]++;
        }
        // p = (0.25, 0.75, ~0): 20000 draws put 5000 ± 4σ(≈245) on token 0
        assertTrue(Math.abs(counts[0] - 5000) < 245, "token 0 drawn " + counts[0] + " times");
        assertEquals(0, counts[2]);
        Sampler a = new Sampler(0.8f, 0.9f, 42), b = new Sampler(0.8f, 0.9f, 42);
        float[] wide = new float[100];
        for (int i = 0; i < 100; i++) wide[i] = (float) Math.sin(i);
        for (int i = 0; i < 200; i++) {
            assertEquals(a.sample(wide, 100), b.sample(wide, 100));
        }
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        // p ≈ (0.6, 0.3, 0.05, 0.05): top-p 0.8 keeps tokens 0 and 1 only
        float[] logits = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.05), (float) Math.log(0.05)};
        Sampler s = new Sampler(1f, 0.8f, 1);
        int[] counts = new int[4];
        for (int i = 0; i < 9000; i++) {
            counts[s.sample(logits, 4)]++;
        }
        assertEquals(0, counts[2] + counts[3]);
        assertTrue(Math.abs(counts[0] - 6000) < 300, "token 0 drawn " + counts[0] + " times (expect 2/3 of 9000)");
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Float.NaN, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, 1.5f, 0));
    }
}
