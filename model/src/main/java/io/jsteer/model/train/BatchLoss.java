package io.jsteer.model.train;

import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;

/**
 * A loss over a batch of sequences, one sequence at a time so that only one sequence's graph is
 * alive: each sequence's graph is built, backpropagated and dropped before the next. The batch
 * loss is the mean over all counted rows (tokens) of the batch,
 * {@code Σ_b count_b·mean_b / Σ_b count_b}, so padding counts for nothing and a sequence weighs
 * what its real tokens weigh. Gradients accumulate into the parameters (zero them, or let the
 * optimiser do it, before the next step).
 */
public final class BatchLoss {

    private final Precision precision;
    private final Parallel parallel;

    /** @param parallel splits the large ops of every tape (null: serial) */
    public BatchLoss(Precision precision, Parallel parallel) {
        this.precision = precision;
        this.parallel = parallel;
    }

    /** Forward and backward over the batch; returns the batch loss. */
    public double backward(SequenceBatch batch, SequenceLoss loss) {
        return run(batch, loss, true);
    }

    /** The batch loss without gradients (nothing is recorded). */
    public double evaluate(SequenceBatch batch, SequenceLoss loss) {
        return run(batch, loss, false);
    }

    private double run(SequenceBatch batch, SequenceLoss loss, boolean backward) {
        int[] counts = new int[batch.size()];
        long total = 0;
        for (int b = 0; b < batch.size(); b++) {
            counts[b] = loss.count(batch.tokens(b), batch.real(b));
            total += counts[b];
        }
        if (total == 0) {
            return 0;
        }
        Tape tape = new Tape(precision, parallel);
        double sum = 0;
        for (int b = 0; b < batch.size(); b++) {
            if (counts[b] == 0) {
                continue;
            }
            LossTerm term;
            if (backward) {
                term = loss.loss(tape, b, batch.tokens(b), batch.real(b));
            } else {
                try (NoGrad _ = tape.noGrad()) {
                    term = loss.loss(tape, b, batch.tokens(b), batch.real(b));
                }
            }
            if (term.count() != counts[b]) {
                throw new IllegalStateException("sequence " + b + ": the loss counted " + term.count()
                        + " rows but its count() said " + counts[b]);
            }
            double weight = (double) counts[b] / total;
            sum += weight * term.mean().item();
            if (backward && term.mean().requiresGrad()) {
                tape.backward(term.mean(), new double[] {weight});
            } else {
                tape.clear();
            }
        }
        return sum;
    }
}
