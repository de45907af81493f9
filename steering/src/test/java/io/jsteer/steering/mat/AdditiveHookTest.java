package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The CAA baseline's vector and edit. */
class AdditiveHookTest {

    @Test
    void meanDifferencePointsFromNegativesToPositives() {
        AttributeFeatures f = new AttributeFeatures("a", new float[][] {{1, 2}, {3, 4}}, new float[][] {{0, 0}, {0, 2}, {3, 1}});
        // mean(pos) = (2, 3); mean(neg) = (1, 1)
        assertArrayEquals(new float[] {1, 2}, AdditiveHook.meanDifference(f), 1e-6f);
        float[] x = {10, 20};
        new AdditiveHook(new float[] {1, 2}).apply(null, 0, true, x);
        assertArrayEquals(new float[] {11, 22}, x);
    }
}
