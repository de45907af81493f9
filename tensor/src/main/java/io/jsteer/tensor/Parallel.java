package io.jsteer.tensor;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits index ranges across a fixed number of threads. The calling thread takes the first
 * chunk itself, so {@code threads} = 2 uses one pool worker plus the caller; a pool of its own
 * (instead of the common pool) keeps jsteer's thread count exactly what the user asked for.
 */
public final class Parallel implements AutoCloseable {

    /** Work on the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private final int threads;
    private final ForkJoinPool pool;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.pool = threads > 1 ? new ForkJoinPool(threads - 1) : null;
    }

    /** One thread per available processor. */
    public static Parallel ofAvailableProcessors() {
        return new Parallel(Runtime.getRuntime().availableProcessors());
    }

    public int threads() { return threads; }

    /**
     * Runs {@code body} over [0, n) in up to {@code threads} contiguous chunks of at least
     * {@code minChunk} indices each, and returns when all are done.
     */
    public void forRange(int n, int minChunk, RangeBody body) {
        int chunks = (int) Math.min(threads, Math.max(1, (n + (long) minChunk - 1) / Math.max(1, minChunk)));
        if (chunks <= 1 || pool == null) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[chunks];
        for (int c = 1; c < chunks; c++) {
            int start = (int) ((long) n * c / chunks);
            int end = (int) ((long) n * (c + 1) / chunks);
            tasks[c] = pool.submit(() -> body.run(start, end));
        }
        body.run(0, (int) ((long) n / chunks));
        for (int c = 1; c < chunks; c++) {
            tasks[c].join();
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
