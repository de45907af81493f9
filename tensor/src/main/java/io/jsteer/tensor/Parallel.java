package io.jsteer.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed team of threads that splits index ranges, built for the many short parallel regions of
 * token-by-token decoding (a matrix-vector product takes 50-500 µs). The calling thread takes the
 * first chunk itself. Between regions the workers spin briefly before parking, as OpenMP's
 * runtime does: waking a parked thread costs tens of microseconds, which at ~85 regions per token
 * would cost a fifth of decode speed on a llama2-110m-sized model.
 *
 * <p>One region runs at a time (callers from several threads take turns).
 */
public final class Parallel implements AutoCloseable {

    /** Work on the half-open range [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /** How long an idle worker spins for the next region before it parks. */
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final ReentrantLock regionLock = new ReentrantLock();
    private final AtomicInteger pending = new AtomicInteger();

    /**
     * One parallel region, immutable and published whole through a volatile field, so that a
     * worker never mixes the parameters of two regions.
     */
    private record Region(long id, RangeBody body, int n, int chunks, AtomicInteger next, AtomicInteger done) {
        /** A region split into one fixed chunk per thread. */
        Region(long id, RangeBody body, int n, int chunks) {
            this(id, body, n, chunks, null, null);
        }

        /** Whether threads claim its chunks one by one ({@link #forRangeBalanced}). */
        boolean balanced() {
            return next != null;
        }
    }

    /** Chunks per thread in {@link #forRangeBalanced}: enough to even out a slow thread, few enough to keep claims cheap. */
    private static final int CHUNKS_PER_THREAD = 4;

    private volatile Region region = new Region(0, null, 0, 0);
    private volatile Throwable failure;
    private volatile boolean closed;

    public Parallel(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int chunk = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("jsteer-worker-" + chunk).unstarted(() -> workLoop(chunk));
            workers[i].start();
        }
    }

    /** One thread per available processor. */
    public static Parallel ofAvailableProcessors() {
        return new Parallel(Runtime.getRuntime().availableProcessors());
    }

    public int threads() { return threads; }

    /**
     * Runs {@code body} over [0, n) in up to {@code threads} contiguous chunks of at least
     * {@code minChunk} indices each, and returns when all are done. An exception in any chunk is
     * rethrown here.
     */
    public void forRange(int n, int minChunk, RangeBody body) {
        int chunks = (int) Math.min(threads, Math.max(1, (n + (long) minChunk - 1) / Math.max(1, minChunk)));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        regionLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this Parallel has been closed");
            }
            this.failure = null;
            pending.set(chunks - 1);
            region = new Region(region.id() + 1, body, n, chunks);
            for (int i = 0; i < chunks - 1; i++) {
                LockSupport.unpark(workers[i]);
            }
            Throwable mine = null;
            try {
                body.run(0, bound(n, chunks, 1));
            } catch (Throwable t) {
                mine = t;
            }
            while (pending.get() != 0) {
                Thread.onSpinWait();
            }
            rethrow(mine != null ? mine : failure);
        } finally {
            regionLock.unlock();
        }
    }

    /**
     * As {@link #forRange}, but in up to {@value #CHUNKS_PER_THREAD} chunks per thread that the
     * threads claim one by one, so that a thread which starts late or runs slower (another
     * process on its core, a worker still waking up) leaves its share to the others instead of
     * holding up the region. The body must accept any sub-range; it runs on chunks of at least
     * {@code minChunk} indices (all n at once when there are fewer).
     */
    public void forRangeBalanced(int n, int minChunk, RangeBody body) {
        int chunks = (int) Math.min((long) threads * CHUNKS_PER_THREAD, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || threads == 1) {
            body.run(0, n);
            return;
        }
        regionLock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this Parallel has been closed");
            }
            this.failure = null;
            Region r = new Region(region.id() + 1, body, n, chunks, new AtomicInteger(), new AtomicInteger());
            region = r;
            for (int i = 0; i < Math.min(workers.length, chunks - 1); i++) {
                LockSupport.unpark(workers[i]);
            }
            runClaimed(r);
            // every chunk claimed; wait for those still running elsewhere (a late worker finds none left)
            while (r.done().get() != chunks) {
                Thread.onSpinWait();
            }
            rethrow(failure);
        } finally {
            regionLock.unlock();
        }
    }

    /** Throws a region's failure (if any) in the caller, unchecked ones as they are. */
    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    /** Claims and runs chunks of a balanced region until none is left; a failure is kept for the caller. */
    private void runClaimed(Region r) {
        for (int c; (c = r.next().getAndIncrement()) < r.chunks(); ) {
            try {
                r.body().run(bound(r.n(), r.chunks(), c), bound(r.n(), r.chunks(), c + 1));
            } catch (Throwable t) {
                failure = t;
            } finally {
                r.done().incrementAndGet();
            }
        }
    }

    private static int bound(int n, int chunks, int c) {
        return (int) ((long) n * c / chunks);
    }

    private void workLoop(int chunk) {
        long seen = 0;
        while (true) {
            Region r = awaitNewRegion(seen);
            if (closed) {
                return;
            }
            seen = r.id();
            if (r.balanced()) {
                runClaimed(r);
            } else if (chunk < r.chunks()) {
                try {
                    r.body().run(bound(r.n(), r.chunks(), chunk), bound(r.n(), r.chunks(), chunk + 1));
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    pending.decrementAndGet();
                }
            }
        }
    }

    /** Spins for up to SPIN_NANOS, then parks, until a region newer than {@code seen} is published or the team closes. */
    private Region awaitNewRegion(long seen) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        int spins = 0;
        while (true) {
            Region r = region;
            if (r.id() != seen || closed) {
                return r;
            }
            if (++spins % 64 == 0 && System.nanoTime() > deadline) {
                LockSupport.parkNanos(this, 1_000_000);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
