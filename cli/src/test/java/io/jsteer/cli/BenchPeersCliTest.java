package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.cli.CliTest.Result;
import org.junit.jupiter.api.Test;

/** `jsteer bench --against jlama|djl`: the options that cannot go together are usage errors, before anything runs. */
class BenchPeersCliTest {

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
