package io.jsteer.model.train;

import io.jsteer.tensor.autograd.Tape;

/**
 * The loss of one sequence of a batch, built on {@code tape} (see {@link BatchLoss}): its mean
 * over the rows it counts, and how many rows those are.
 */
@FunctionalInterface
public interface SequenceLoss {

    /**
     * @param index  the sequence's index in the batch (to vary options per sequence)
     * @param tokens [T] its token ids
     * @param real   [T] its real-token mask
     */
    LossTerm loss(Tape tape, int index, int[] tokens, boolean[] real);

    /**
     * How many rows {@link #loss} will count for this sequence, known before its forward pass so
     * the batch weights are fixed up front; by default the real tokens. {@link BatchLoss} checks
     * that the two agree.
     */
    default int count(int[] tokens, boolean[] real) {
        int n = 0;
        for (boolean r : real) {
            n += r ? 1 : 0;
        }
        return n;
    }
}
