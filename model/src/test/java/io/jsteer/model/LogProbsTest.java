package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogProbsTest {

    @Test
    void largeLogitsDoNotOverflow() {
        // exp(1000) overflows a double; shifted by the max it is the softmax of {0, 1, 2}
        double[] big = LogProbs.of(new float[] {1000f, 1001f, 1002f}, 3);
        double z = Math.log(1 + Math.E + Math.E * Math.E);
        assertEquals(0 - z, big[0], 1e-12);
        assertEquals(1 - z, big[1], 1e-12);
        assertEquals(2 - z, big[2], 1e-12);
        // only the first n logits count
        double[] two = LogProbs.of(new float[] {0f, 0f, 50f}, 2);
        assertEquals(Math.log(0.5), two[0], 1e-15);
        // one entry is the same number as the whole row's
        float[] row = {0.3f, -2f, 7.5f, 1e-3f};
        double[] all = LogProbs.of(row, 4);
        for (int i = 0; i < 4; i++) {
            assertEquals(all[i], LogProbs.at(row, 4, i), 0);
        }
        org.junit.jupiter.api.Assertions.assertThrows(IndexOutOfBoundsException.class, () -> LogProbs.at(row, 3, 3));
    }

    @Test
    void klOfTwoPointDistributions() {
        // p = (1/2, 1/2), q = (1/4, 3/4): KL = ½ ln 2 + ½ ln(2/3)
        double[] lp = {Math.log(0.5), Math.log(0.5)};
        double[] lq = {Math.log(0.25), Math.log(0.75)};
        assertEquals(0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3), LogProbs.kl(lp, lq), 1e-15);
        // KL(q ‖ p) = ¼ ln ½ + ¾ ln (3/2): not symmetric
        assertEquals(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), LogProbs.kl(lq, lp), 1e-15);
        assertEquals(0.0, LogProbs.kl(lp, lp), 0);
        // a zero-probability token of p adds nothing, even where q is tiny
        assertEquals(Math.log(2), LogProbs.kl(new double[] {0, Double.NEGATIVE_INFINITY},
                new double[] {Math.log(0.5), Math.log(0.5)}), 1e-15);
    }
}
