package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.RowInfo;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PairedPcaTest {

    static final Site L2 = new Site(SiteKind.RESID_POST, 2);

    @Test
    void recoversAPlantedDirectionWithTheRightSign() {
        Random r = new Random(1);
        float[] u = Synthetic.unit(r, 24);
        // few pairs, wide vectors: exercises the Gram-matrix path (n < d) as well as the scatter path
        for (int pairs : new int[] {12, 200}) {
            InMemoryActivations acts = Synthetic.pairs(r, u, pairs, 1.0, 0.05, 2);
            for (PairedPca.Centring c : PairedPca.Centring.values()) {
                PairedPca.Result res = PairedPca.compute(acts, SiteKind.RESID_POST, c, Magnitude.UNIT);
                float[] v = res.vectors().get(2);
                assertEquals(1, VectorAlgebra.norm(v), 1e-5);
                double cos = VectorAlgebra.cosine(v, u);
                assertTrue(cos > 0.99, c + " with " + pairs + " pairs: cos " + cos);
                assertTrue(res.explainedVariance().get(2) > 0.5, "" + res.explainedVariance());
                assertEquals(pairs, res.pairs());
            }
        }
    }

    @Test
    void fromScatterGivesTheVectorsOfTheRows() {
        Random r = new Random(5);
        float[] u = Synthetic.unit(r, 24);
        for (int pairs : new int[] {12, 200}) { // Gram path (n < d) and scatter path on the rows' side
            InMemoryActivations acts = Synthetic.pairs(r, u, pairs, 1.0, 0.3, 2);
            // the streamed statistics, computed here from the rows: rows 2i (label 1) and 2i+1 (label 0) are pair i
            int dim = acts.dim();
            double[][] scatter = new double[dim][dim];
            double[] sum = new double[dim];
            io.jsteer.steering.capture.MeanAccumulator classes = new io.jsteer.steering.capture.MeanAccumulator(List.of(L2), dim, 2);
            for (int i = 0; i < pairs; i++) {
                float[] a = acts.vector(L2, 2 * i), b = acts.vector(L2, 2 * i + 1);
                for (int k = 0; k < dim; k++) {
                    sum[k] += (double) a[k] - b[k];
                    for (int j = 0; j < dim; j++) {
                        scatter[k][j] += ((double) a[k] - b[k]) * ((double) a[j] - b[j]);
                    }
                }
                classes.accept(2 * i, new CapturePrompt(new int[] {1}, 1, i, -1), 0, L2, a);
                classes.accept(2 * i + 1, new CapturePrompt(new int[] {1}, 0, i, -1), 0, L2, b);
            }
            for (PairedPca.Centring c : PairedPca.Centring.values()) {
                for (Magnitude m : List.of(Magnitude.MEAN_DIFF_NORM, Magnitude.MEAN_ACTIVATION_NORM)) {
                    PairedPca.Result rows = PairedPca.compute(acts, SiteKind.RESID_POST, c, m);
                    PairedPca.Result streamed = PairedPca.fromScatter(java.util.Map.of(L2, new PairedPca.Scatter(scatter, sum)), pairs,
                            classes, SiteKind.RESID_POST, c, m);
                    float[] e = rows.vectors().get(2), v = streamed.vectors().get(2);
                    double diff = VectorAlgebra.norm(VectorAlgebra.subtract(e, v)) / VectorAlgebra.norm(e);
                    assertTrue(diff < 1e-6, c + " " + m + " with " + pairs + " pairs: relative difference " + diff);
                    assertEquals(rows.explainedVariance().get(2), streamed.explainedVariance().get(2), 1e-9, c + " explained variance");
                    assertEquals(pairs, streamed.pairs());
                }
            }
        }
    }

    @Test
    void addingTheVectorMovesNegativesTowardsThePositiveClass() {
        Random r = new Random(2);
        float[] u = Synthetic.unit(r, 16);
        InMemoryActivations acts = Synthetic.pairs(r, u, 80, 1.0, 0.05, 2);
        float[] v = PairedPca.compute(acts, SiteKind.RESID_POST, PairedPca.Centring.PAIR_CENTRED, Magnitude.MEAN_DIFF_NORM)
                .vectors().get(2);
        // judge with an independent classifier: a probe trained on the same data
        LinearProbe.Result probe = LinearProbe.train(acts, SiteKind.RESID_POST, LinearProbe.Options.defaults());
        float[] w = probe.layers().get(2).direction();
        int moved = 0, negatives = 0;
        for (int row = 0; row < acts.rows(); row++) {
            if (acts.info(row).label() == 0) {
                float[] x = acts.vector(L2, row);
                negatives++;
                if (VectorAlgebra.dot(VectorAlgebra.add(x, v), w) > VectorAlgebra.dot(x, w)) {
                    moved++;
                }
            }
        }
        assertEquals(negatives, moved, "+v must raise every negative's probe score");
    }

    @Test
    void signAlignmentFlipsAnInvertedComponent() {
        float[] v = {0.6f, -0.8f};
        float[] meanDiff = {-3, 4}; // points against v
        float[] aligned = PairedPca.alignSign(v, meanDiff);
        assertArrayEquals(new float[] {-0.6f, 0.8f}, aligned);
        assertSame(aligned, PairedPca.alignSign(aligned, meanDiff), "an aligned vector is kept as it is");

        // Swapping the classes negates every difference: the scatter matrix, and so the raw
        // component, is identical, so exactly one of the two runs has to flip it.
        Random r = new Random(3);
        float[] u = Synthetic.unit(r, 12);
        InMemoryActivations acts = Synthetic.pairs(r, u, 40, 1.0, 0.1, 2);
        InMemoryActivations swapped = new InMemoryActivations(acts.sites(), acts.dim());
        for (int row = 0; row < acts.rows(); row++) {
            RowInfo info = acts.info(row);
            swapped.accept(info.prompt(), new CapturePrompt(new int[] {1}, 1 - info.label(), info.group(), -1), 0, L2,
                    acts.vector(L2, row));
        }
        PairedPca.Result a = PairedPca.compute(acts, SiteKind.RESID_POST, PairedPca.Centring.PAIR_CENTRED, Magnitude.UNIT);
        PairedPca.Result b = PairedPca.compute(swapped, SiteKind.RESID_POST, PairedPca.Centring.PAIR_CENTRED, Magnitude.UNIT);
        assertArrayEquals(a.vectors().get(2), VectorAlgebra.scale(b.vectors().get(2), -1), 1e-6f);
        assertNotEquals(a.flipped(), b.flipped());
        assertEquals(1, a.flipped().size() + b.flipped().size());
        assertTrue(VectorAlgebra.dot(a.vectors().get(2), u) > 0);
        assertTrue(VectorAlgebra.dot(b.vectors().get(2), u) < 0, "with classes swapped the positive side is −u");
    }

    @Test
    void magnitudeScaling() {
        Random r = new Random(4);
        float[] u = Synthetic.unit(r, 8);
        InMemoryActivations acts = Synthetic.pairs(r, u, 30, 0.5, 0.1, 1, 2);
        ClassStatistics stats = ClassStatistics.of(acts, L2);
        double meanNorm = 0;
        for (int row = 0; row < acts.rows(); row++) {
            meanNorm += VectorAlgebra.norm(acts.vector(L2, row)) / acts.rows();
        }
        float[] byActs = PairedPca.compute(acts, SiteKind.RESID_POST, PairedPca.Centring.PAIR_CENTRED,
                Magnitude.MEAN_ACTIVATION_NORM).vectors().get(2);
        assertEquals(meanNorm, VectorAlgebra.norm(byActs), 1e-4 * meanNorm);
        float[] byDiff = PairedPca.compute(acts, SiteKind.RESID_POST, PairedPca.Centring.PAIR_CENTRED,
                Magnitude.MEAN_DIFF_NORM).vectors().get(2);
        assertEquals(VectorAlgebra.norm(stats.difference()), VectorAlgebra.norm(byDiff), 1e-5);
        assertEquals(List.of(1, 2), List.copyOf(PairedPca.compute(acts, SiteKind.RESID_POST,
                PairedPca.Centring.PAIR_CENTRED, Magnitude.UNIT).vectors().keySet()));
    }
}
