package io.jsteer.steering.kts;

import io.jsteer.steering.kts.graph.KtsGraph;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;

/**
 * Side effects on benign text: the token-weighted mean of per-position {@code KL(p_orig ‖ p_model)}
 * (every real token counts once, spec §6.2), and the next-token cross-entropy of both models.
 */
public final class BenignKl {

    /** Mean KL per token and mean NLL per predicted token of the reference and the model. */
    public record Result(double klPerToken, double nllReference, double nllModel) {
        public double perplexityReference() { return Math.exp(nllReference); }
        public double perplexityModel() { return Math.exp(nllModel); }
    }

    private BenignKl() {}

    /** Original model (no adapter, no steering) against {@code graph} with/without adapter and with {@code steering}. */
    public static Result measure(KtsGraph graph, List<int[]> sequences, BlockSteering steering, boolean withAdapter) {
        return measure(graph, sequences, steering, withAdapter, null);
    }

    /** As {@link #measure(KtsGraph, List, BlockSteering, boolean)} with tapes split over {@code parallel} (null: serial). */
    public static Result measure(KtsGraph graph, List<int[]> sequences, BlockSteering steering, boolean withAdapter,
                                 Parallel parallel) {
        double kl = 0, nllRef = 0, nllModel = 0;
        long tokens = 0, predicted = 0;
        for (int[] seq : sequences) {
            Tape tape = new Tape(Precision.F32, parallel);
            try (NoGrad _ = tape.noGrad()) {
                Var ref = tape.logSoftmax(graph.logits(tape, seq, null, false));
                Var model = tape.logSoftmax(graph.logits(tape, seq, steering, withAdapter));
                kl += tape.klDivergence(ref, model).item() * seq.length;
                tokens += seq.length;
                if (seq.length > 1) {
                    int[] targets = new int[seq.length];
                    System.arraycopy(seq, 1, targets, 0, seq.length - 1);
                    targets[seq.length - 1] = -1; // the last position has no next token
                    nllRef += nll(ref, targets);
                    nllModel += nll(model, targets);
                    predicted += seq.length - 1;
                }
            }
        }
        return new Result(kl / tokens, nllRef / Math.max(1, predicted), nllModel / Math.max(1, predicted));
    }

    private static double nll(Var logProbs, int[] targets) {
        int v = logProbs.cols();
        double sum = 0;
        for (int t = 0; t < targets.length; t++) {
            if (targets[t] >= 0) {
                sum -= logProbs.get(t * v + targets[t]);
            }
        }
        return sum;
    }

    /**
     * c_max (spec §6.9): the multiplier at which steering the original model costs
     * {@code targetKl} nat/token on benign text (mean of +c and −c), found by bisection on a
     * log scale; KL grows with |c| over the range searched.
     */
    public static double calibrate(KtsGraph graph, List<int[]> sequences, float[][] vectors, double targetKl) {
        if (!(targetKl > 0)) {
            throw new IllegalArgumentException("target KL for c_max calibration must be positive, got " + targetKl);
        }
        double lo = 1e-3, hi = 1;
        while (symmetricKl(graph, sequences, vectors, hi) < targetKl) {
            lo = hi;
            hi *= 4;
            if (hi > 1e6) {
                throw new IllegalStateException("steering never reaches " + targetKl + " nat/token of KL; is the vector zero?");
            }
        }
        for (int i = 0; i < 14; i++) {
            double mid = Math.sqrt(lo * hi);
            if (symmetricKl(graph, sequences, vectors, mid) < targetKl) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Math.sqrt(lo * hi);
    }

    private static double symmetricKl(KtsGraph graph, List<int[]> sequences, float[][] vectors, double c) {
        double plus = measure(graph, sequences, new BlockSteering(vectors, c), false).klPerToken();
        double minus = measure(graph, sequences, new BlockSteering(vectors, -c), false).klPerToken();
        return (plus + minus) / 2;
    }
}
