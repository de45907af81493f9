package io.jsteer.steering.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LogSoftmaxTest {

    @Test
    void largeLogitsDoNotOverflow() {
        // exp(1000) overflows a double; shifted by the max it is the softmax of {0, 1, 2}
        double[] big = LogSoftmax.of(new float[] {1000f, 1001f, 1002f}, 3);
        double z = Math.log(1 + Math.E + Math.E * Math.E);
        assertEquals(0 - z, big[0], 1e-12);
        assertEquals(1 - z, big[1], 1e-12);
        assertEquals(2 - z, big[2], 1e-12);
        // only the first n logits count
        double[] two = LogSoftmax.of(new float[] {0f, 0f, 50f}, 2);
        assertEquals(Math.log(0.5), two[0], 1e-15);
    }

    @Test
    void klOfTwoPointDistributions() {
        // p = (1/2, 1/2), q = (1/4, 3/4): KL = ½ ln 2 + ½ ln(2/3)
        double[] lp = {Math.log(0.5), Math.log(0.5)};
        double[] lq = {Math.log(0.25), Math.log(0.75)};
        assertEquals(0.5 * Math.log(2) + 0.5 * Math.log(2.0 / 3), LogSoftmax.kl(lp, lq), 1e-15);
        // KL(q ‖ p) = ¼ ln ½ + ¾ ln (3/2): not symmetric
        assertEquals(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), LogSoftmax.kl(lq, lp), 1e-15);
        assertEquals(0.0, LogSoftmax.kl(lp, lp), 0);
        // a zero-probability token of p adds nothing, even where q is tiny
        assertEquals(Math.log(2), LogSoftmax.kl(new double[] {0, Double.NEGATIVE_INFINITY},
                new double[] {Math.log(0.5), Math.log(0.5)}), 1e-15);
    }
}
