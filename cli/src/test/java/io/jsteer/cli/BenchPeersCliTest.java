package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.cli.CliTest.Result;
import org.junit.jupiter.api.Test;

/** `jsteer bench --against jlama|djl`: the options that cannot go together are usage errors, before anything runs. */
class BenchPeersCliTest {

    /** --batch: B sequences per step next to the one-sequence figure (the rows' numbers are checked in BatchedDecodeTest). */
    @Test
    void batchRowsFollowTheirShapeAndBadSizesAreUsageErrors() {
        Result r = jsteer("bench", "--shape", "stories260K", "--dtype", "f32", "--tokens", "4", "--repeats", "1", "--batch", "2,3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("batch  2:") && r.out().contains("batch  3:") && r.out().contains("x one sequence"), r.out());
        Result zero = jsteer("bench", "--batch", "0");
        assertEquals(2, zero.code(), zero.err());
        assertTrue(zero.err().contains("--batch takes 1.." + io.jsteer.model.CpuEngine.maxBatch() + " sequences, got 0"), zero.err());
        Result peers = jsteer("bench", "--batch", "2", "--against", "jlama");
        assertEquals(2, peers.code(), peers.err());
        Result overhead = jsteer("bench", "--steering-overhead");
        assertEquals(2, overhead.code(), overhead.err());
        assertTrue(overhead.err().contains("--steering-overhead goes with --model FILE"), overhead.err());
    }

    /**
     * The file table on stories260K: every column and row kind is there and parsed numbers are
     * positive (RSS from a child JVM, roofline from the measured bandwidth); the steering setups'
     * logits are checked to differ from the unsteered ones in SteeringOverheadTest.
     */
    @Test
    void fileTableHasEveryColumnWithPositiveFigures() {
        Result r = jsteer("bench", "--model", CliTest.shared("models/stories260K.gguf").toString(), "--threads", "1", "--tokens", "3",
                "--prompt-tokens", "4,9", "--repeats", "1", "--batch", "2", "--steering-overhead", "--overhead-repeats", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| file | weights read per token | engine | decode tok/s | prefill 4 tok/s | prefill 9 tok/s | TTFT 4 ms"
                + " | peak RSS MiB | decode % of roofline | ratio |"), r.out());
        assertTrue(r.out().contains("memory bandwidth (this run): "), r.out());
        String jsteerRow = r.out().lines().filter(l -> l.contains("| jsteer |")).findFirst().orElseThrow();
        String[] cells = jsteerRow.split("\\|");
        // | file | MB | engine | decode | p4 | p9 | ttft | rss | roofline | ratio |
        for (int i = 4; i <= 8; i++) {
            double v = Double.parseDouble(cells[i].replace("%", "").trim());
            assertTrue(v > 0 && Double.isFinite(v), "column " + i + " of " + jsteerRow);
        }
        assertTrue(r.out().contains("| jsteer, B=2 (aggregate) |"), r.out());
        for (String setup : new String[] {"steering setups: none", "add@1", "add@all", "mat-gates", "kts-lora", "probe-gate"}) {
            assertTrue(r.out().contains(setup), setup + " row missing:\n" + r.out());
        }
    }

    @Test
    void jvmPeersAndLlamaCppAreSeparateRuns() {
        Result r = jsteer("bench", "--against", "jlama,llamacpp=/bin/true");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("run them separately"), r.err());
    }

    @Test
    void jvmPeersTimeRandomShapesNotFiles() {
        Result r = jsteer("bench", "--against", "djl", "--model", "x.gguf");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--against jlama/djl times the random --shape models"), r.err());
    }

    @Test
    void jsonNeedsThePeers() {
        Result r = jsteer("bench", "--json");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--json goes with --against jlama/djl"), r.err());
    }
}
