package io.jsteer.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnceOverManyRegions() {
        for (int threads = 1; threads <= 4; threads++) {
            try (Parallel par = new Parallel(threads)) {
                for (int region = 0; region < 2000; region++) {
                    int n = 1 + region % 37;
                    int[] hits = new int[n];
                    par.forRange(n, 1 + region % 3, (start, end) -> {
                        for (int i = start; i < end; i++) {
                            hits[i]++;
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits[i], "threads " + threads + " region " + region + " index " + i);
                    }
                }
            }
        }
    }

    @Test
    void chunksRespectTheMinimumAndTheThreadCount() {
        try (Parallel par = new Parallel(3)) {
            AtomicLong calls = new AtomicLong();
            par.forRange(100, 60, (s, e) -> calls.incrementAndGet());
            assertEquals(2, calls.get(), "100 indices in chunks of at least 60: 2 chunks... capped at ceil(100/60)");
            calls.set(0);
            par.forRange(1000, 1, (s, e) -> calls.incrementAndGet());
            assertEquals(3, calls.get());
        }
    }

    @Test
    void failuresInAnyChunkReachTheCaller() {
        try (Parallel par = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forRange(100, 1, (s, end) -> {
                if (s > 0) {
                    throw new IllegalStateException("worker chunk failed");
                }
            }));
            assertEquals("worker chunk failed", e.getMessage());
            // the team is still usable afterwards
            int[] sum = new int[1];
            par.forRange(10, 1, (s, end) -> {
                synchronized (sum) {
                    sum[0] += end - s;
                }
            });
            assertEquals(10, sum[0]);
        }
        Parallel closed = new Parallel(2);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.forRange(100, 1, (s, e) -> {}));
    }

    @Test
    void balancedRegionsRunEveryIndexOnceAndReportFailures() {
        for (int threads = 1; threads <= 3; threads++) {
            try (Parallel par = new Parallel(threads)) {
                for (int region = 0; region < 2000; region++) {
                    int n = 1 + region % 53;
                    int minChunk = 1 + region % 5;
                    int[] hits = new int[n];
                    AtomicLong small = new AtomicLong();
                    par.forRangeBalanced(n, minChunk, (start, end) -> {
                        if (end - start < Math.min(minChunk, n)) {
                            small.incrementAndGet();
                        }
                        for (int i = start; i < end; i++) {
                            hits[i]++;
                        }
                    });
                    for (int i = 0; i < n; i++) {
                        assertEquals(1, hits[i], "threads " + threads + " region " + region + " index " + i);
                    }
                    assertEquals(0, small.get(), "a chunk below the minimum of " + minChunk + " (n " + n + ")");
                }
                if (threads > 1) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forRangeBalanced(100, 1, (s, end) -> {
                        if (s >= 50) {
                            throw new IllegalStateException("a late chunk failed");
                        }
                    }));
                    assertEquals("a late chunk failed", e.getMessage());
                    int[] sum = new int[1];
                    par.forRangeBalanced(10, 1, (s, end) -> {
                        synchronized (sum) {
                            sum[0] += end - s;
                        }
                    });
                    assertEquals(10, sum[0], "the team is still usable after a failure");
                }
            }
        }
    }
}
