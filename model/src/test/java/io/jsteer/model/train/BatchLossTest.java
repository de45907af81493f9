package io.jsteer.model.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.TinyModels;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.intervene.TapeHooks;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchLossTest {

    private final LlamaConfig c = TinyModels.tinyConfig();
    private final TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 11));
    private final int[] first = TinyModels.tokens(c, 9, 1);
    private final int[] second = TinyModels.tokens(c, 5, 2);
    private final SequenceBatch batch = SequenceBatch.padded(List.of(first, second), 9, 0);

    @Test
    void paddingIsIgnoredAndSequencesWeighByTheirRealTokens() {
        BatchLoss loss = new BatchLoss(Precision.F64, null);
        double batchLoss = loss.evaluate(batch, Losses.nextTokenCrossEntropy(model, i -> ForwardOptions.NONE));
        // by hand: each sequence alone (no padding at all), summed over its 8 and 4 predictions
        double sum = 0;
        for (int[] s : List.of(first, second)) {
            Tape tape = new Tape(Precision.F64);
            int[] targets = Arrays.copyOfRange(s, 1, s.length + 1);
            targets[targets.length - 1] = -1;
            sum += (s.length - 1) * tape.crossEntropy(model.logits(tape, s), targets).item();
        }
        assertEquals(sum / 12, batchLoss, 1e-12);
        assertEquals(14, batch.realTokens());
        assertArrayEquals(new boolean[] {true, true, true, true, true, false, false, false, false}, batch.real(1));
    }

    @Test
    void batchGradientsMatchFiniteDifferencesThroughTheWholeModel() {
        // a trainable vector added to the embeddings: its gradient flows back through every block
        double[] init = new double[c.dim()];
        Arrays.setAll(init, i -> 0.1 * Math.sin(i + 1));
        Var v = Var.param(Precision.F64, init, c.dim());
        TapeHooks hooks = new TapeHooks(c.nLayers()).add(new Site(SiteKind.RESID_PRE, 0), (tape, site, x, p) -> tape.add(x, v));
        SequenceLoss ce = Losses.nextTokenCrossEntropy(model, i -> ForwardOptions.NONE.withHooks(hooks));
        BatchLoss loss = new BatchLoss(Precision.F64, null);
        loss.backward(batch, ce);
        double[] analytic = v.gradToDoubleArray();
        double[] numeric = new double[c.dim()];
        double h = 1e-6;
        for (int i = 0; i < numeric.length; i++) {
            double saved = v.data().get(i);
            v.data().set(i, saved + h);
            double up = loss.evaluate(batch, ce);
            v.data().set(i, saved - h);
            double down = loss.evaluate(batch, ce);
            v.data().set(i, saved);
            numeric[i] = (up - down) / (2 * h);
        }
        double err = GradCheck.relativeError(analytic, numeric);
        assertTrue(err < 1e-6, "relative error " + err);
        assertTrue(Arrays.stream(analytic).map(Math::abs).sum() > 1e-3, "a gradient that is not all zeros");
    }

    @Test
    void klAgainstTheSameModelIsZeroAndMismatchedBatchesAreRejected() {
        BatchLoss loss = new BatchLoss(Precision.F64, null);
        for (Losses.KlDirection d : Losses.KlDirection.values()) {
            double kl = loss.evaluate(batch, Losses.klToReference(model, i -> ForwardOptions.NONE, i -> ForwardOptions.NONE, d));
            assertEquals(0, kl, 1e-12);
        }
        assertThrows(IllegalArgumentException.class, () -> new SequenceBatch(new int[][] {{1, 2}, {1}},
                new boolean[][] {{true, true}, {true}}));
    }
}
