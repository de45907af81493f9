package io.jsteer.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The peak-RSS probe: a real child JVM running jsteer on a tiny model reports a plausible peak; bad output is an error. */
class RssProbeTest {

    @TempDir
    Path tmp;

    @Test
    void aChildJvmRunningJsteerReportsItsPeak() throws Exception {
        Path gguf = TinyModels.gguf(tmp, TinyModels.shape(false, null), 3);
        long peak = RssProbe.measure("jsteer", gguf, 1, 8, 4, 256);
        // a JVM with a model loaded: more than 16 MiB, less than this machine's memory
        assertTrue(peak > 16L << 20 && peak < Runtime.getRuntime().maxMemory() * 64, "peak RSS " + peak);
    }

    @Test
    void outputWithoutAPeakIsAnErrorNamingTheEngine() {
        assertEquals(123456L, RssProbe.parse("noise\npeak_rss_bytes=123456\n", 0, "x"));
        var e = assertThrows(IllegalStateException.class, () -> RssProbe.parse("jsteer: error: no file\n", 1, "jsteer on m.gguf"));
        assertTrue(e.getMessage().contains("jsteer on m.gguf") && e.getMessage().contains("exited with 1"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> RssProbe.parse("peak_rss_bytes=0\n", 0, "x"));
    }
}
