package io.jsteer.model.train;

import io.jsteer.tensor.autograd.Var;

/**
 * One sequence's share of a batch loss.
 *
 * @param mean  the loss averaged over the rows it counts (a scalar on the tape)
 * @param count how many rows (tokens) that mean is over; it weights the sequence in the batch mean
 */
public record LossTerm(Var mean, int count) {

    public LossTerm {
        if (mean.size() != 1) {
            throw new IllegalArgumentException("a loss term must be a scalar, got " + mean);
        }
        if (count < 0) {
            throw new IllegalArgumentException("count must be 0 or more, got " + count);
        }
    }
}
