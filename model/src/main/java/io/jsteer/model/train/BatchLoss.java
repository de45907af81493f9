package io.jsteer.model.train;

import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A loss over a batch of sequences, one sequence at a time so that only one sequence's graph is
 * alive per thread: each sequence's graph is built, backpropagated and dropped. The batch loss is
 * the mean over all counted rows (tokens) of the batch, {@code Σ_b count_b·mean_b / Σ_b count_b},
 * so padding counts for nothing and a sequence weighs what its real tokens weigh. Gradients
 * accumulate into the parameters (zero them, or let the optimiser do it, before the next step).
 *
 * <p>Two ways to use several cores. A {@link Parallel} splits the large ops of every tape; it
 * pays on wide models. {@code sequenceThreads > 1} instead runs that many sequences at once, each
 * on a serial tape, which suits small models (stories260K's ops are too small to split well). The
 * forward passes then overlap; the backward passes, which write the shared parameters'
 * gradients, take turns (so gradients are summed in an order that may vary between runs, by
 * float rounding only). The {@link SequenceLoss} and whatever it calls (tape hooks, gate
 * listeners) must then be safe to call from several threads; interventions, adapters and
 * {@link TrainableLlama} are.
 */
public final class BatchLoss implements AutoCloseable {

    private final Precision precision;
    private final Parallel parallel;
    private final ExecutorService sequences;
    private final ReentrantLock backwardLock = new ReentrantLock();

    /** @param parallel splits the large ops of every tape (null: serial) */
    public BatchLoss(Precision precision, Parallel parallel) {
        this.precision = precision;
        this.parallel = parallel;
        this.sequences = null;
    }

    /**
     * @param sequenceThreads sequences processed at once (1: one after the other); each runs on a
     *                        serial tape
     */
    public BatchLoss(Precision precision, int sequenceThreads) {
        if (sequenceThreads < 1) {
            throw new IllegalArgumentException("sequenceThreads must be at least 1, got " + sequenceThreads);
        }
        this.precision = precision;
        this.parallel = null;
        this.sequences = sequenceThreads == 1 ? null
                : Executors.newFixedThreadPool(sequenceThreads, Thread.ofPlatform().daemon().name("jsteer-batch-", 0).factory());
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
        double[] weighted = new double[batch.size()];
        if (sequences == null) {
            for (int b = 0; b < batch.size(); b++) {
                weighted[b] = sequence(batch, loss, backward, b, counts[b], total);
            }
        } else {
            List<Future<Double>> futures = new ArrayList<>();
            long t = total;
            for (int b = 0; b < batch.size(); b++) {
                int index = b;
                futures.add(sequences.submit(() -> sequence(batch, loss, backward, index, counts[index], t)));
            }
            for (int b = 0; b < batch.size(); b++) {
                weighted[b] = join(futures.get(b));
            }
        }
        double sum = 0;
        for (double w : weighted) {
            sum += w;
        }
        return sum;
    }

    /** One sequence's forward (and backward); returns its weighted share of the batch loss. */
    private double sequence(SequenceBatch batch, SequenceLoss loss, boolean backward, int b, int count, long total) {
        if (count == 0) {
            return 0;
        }
        Tape tape = new Tape(precision, parallel);
        LossTerm term;
        if (backward) {
            term = loss.loss(tape, b, batch.tokens(b), batch.real(b));
        } else {
            try (NoGrad _ = tape.noGrad()) {
                term = loss.loss(tape, b, batch.tokens(b), batch.real(b));
            }
        }
        if (term.count() != count) {
            throw new IllegalStateException("sequence " + b + ": the loss counted " + term.count()
                    + " rows but its count() said " + count);
        }
        double weight = (double) count / total;
        if (backward && term.mean().requiresGrad()) {
            backwardLock.lock();
            try {
                tape.backward(term.mean(), new double[] {weight});
            } finally {
                backwardLock.unlock();
            }
        } else {
            tape.clear();
        }
        return weight * term.mean().item();
    }

    private static double join(Future<Double> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a sequence", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Stops the sequence threads, if any. */
    @Override
    public void close() {
        if (sequences != null) {
            sequences.shutdownNow();
        }
    }
}
