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
        assertTrue(zero.err().contains("--batch takes 1..32 sequences, got 0"), zero.err());
        Result files = jsteer("bench", "--batch", "2", "-m", "x.gguf");
        assertEquals(2, files.code(), files.err());
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
