package io.jsteer.steering.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Running sums captured in parts and merged give the means of one pass (what a distributed extraction relies on). */
class MeanAccumulatorMergeTest {

    static final List<Site> SITES = List.of(new Site(SiteKind.RESID_POST, 1), new Site(SiteKind.RESID_POST, 3));
    static final int DIM = 7;

    /** Feeds rows [from, to) of a fixed random stream (label = row parity) into {@code acc}. */
    static void feed(MeanAccumulator acc, int from, int to) {
        Random r = new Random(5);
        float[] x = new float[DIM];
        for (int row = 0; row < to; row++) {
            CapturePrompt p = CapturePrompt.of(new int[] {1, 2}, row % 2);
            for (Site s : SITES) {
                for (int i = 0; i < DIM; i++) {
                    x[i] = (float) (r.nextGaussian() * (1 + s.layer()) + (row % 2) * 0.5);
                }
                if (row >= from) {
                    acc.accept(row, p, 1, s, x);
                }
            }
        }
    }

    @Test
    void mergedPartsEqualOnePass() throws Exception {
        MeanAccumulator whole = new MeanAccumulator(SITES, DIM, 2);
        feed(whole, 0, 101);
        MeanAccumulator a = new MeanAccumulator(SITES, DIM, 2), b = new MeanAccumulator(SITES, DIM, 2), c = new MeanAccumulator(SITES, DIM, 2);
        feed(a, 0, 40);
        feed(b, 40, 77);
        feed(c, 77, 101);
        MeanAccumulator merged = new MeanAccumulator(SITES, DIM, 2);
        for (MeanAccumulator part : List.of(a, b, c)) {
            merged.merge(roundTrip(part.partial())); // as a worker's result travels: Java serialization
        }
        for (Site s : SITES) {
            assertEquals(whole.count(s, 0), merged.count(s, 0));
            assertEquals(51, merged.count(s, 0));
            assertEquals(50, merged.count(s, 1));
            float[] d1 = whole.meanDifference(s, 1, 0), d2 = merged.meanDifference(s, 1, 0);
            for (int i = 0; i < DIM; i++) {
                assertEquals(d1[i], d2[i], 1e-6 * Math.abs(d1[i]) + 1e-7, "component " + i + " at " + s);
            }
            assertEquals(whole.meanNorm(s), merged.meanNorm(s), 1e-12 * whole.meanNorm(s));
        }
    }

    @Test
    void aPartialIsACopy() {
        MeanAccumulator a = new MeanAccumulator(SITES, DIM, 2);
        feed(a, 0, 4);
        MeanAccumulator.Partial p = a.partial();
        double before = p.sums()[0][0][0];
        feed(a, 4, 8);
        assertEquals(before, p.sums()[0][0][0]);
        assertEquals(2, p.counts()[0][0]);
    }

    @Test
    void mismatchedPartsAreRefusedWithTheReason() {
        MeanAccumulator a = new MeanAccumulator(SITES, DIM, 2);
        MeanAccumulator oneSite = new MeanAccumulator(SITES.subList(0, 1), DIM, 2);
        MeanAccumulator wider = new MeanAccumulator(SITES, DIM + 1, 2);
        MeanAccumulator threeClasses = new MeanAccumulator(SITES, DIM, 3);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.merge(oneSite.partial())).getMessage().contains("1 sites"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.merge(wider.partial())).getMessage().contains("dim 8"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> a.merge(threeClasses.partial())).getMessage().contains("3 classes"));
    }

    static MeanAccumulator.Partial roundTrip(MeanAccumulator.Partial p) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (MeanAccumulator.Partial) in.readObject();
        }
    }
}
