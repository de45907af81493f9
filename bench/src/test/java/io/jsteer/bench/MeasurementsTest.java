package io.jsteer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelShape;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.SyntheticModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The figures behind the RSS and roofline columns: parsed, positive, and computed from the right bytes. */
class MeasurementsTest {

    @TempDir
    Path tmp;

    @Test
    void procStatusIsParsedInBytes() {
        String status = "Name:\tjava\nVmPeak:\t 9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t3\n";
        ProcessMemory m = ProcessMemory.parse(status).orElseThrow();
        assertEquals(1024L * 1024, m.rssBytes());
        assertEquals(2048L * 1024, m.peakBytes());
        assertTrue(ProcessMemory.parse("Name:\tjava\nVmRSS:\t 12 kB\n").isEmpty(), "no VmHWM: nothing");
    }

    @Test
    void thisProcessHasAPositiveResidentSetBelowItsPeak() {
        ProcessMemory m = ProcessMemory.self();
        assertTrue(m.rssBytes() > 1 << 20, "a JVM holds more than 1 MiB: " + m);
        assertTrue(m.peakBytes() >= m.rssBytes(), m.toString());
    }

    @Test
    void bandwidthFiguresArePositiveAndConsistent() {
        try (Parallel par = new Parallel(2)) {
            MemoryBandwidth bw = MemoryBandwidth.measure(par, 1 << 20, 2);
            // positive and finite; the floor is far below any machine's, even a loaded one
            assertTrue(bw.readBytesPerSecond() > 1e7 && bw.copyBytesPerSecond() > 1e7 && bw.triadBytesPerSecond() > 1e7, bw.toString());
            assertTrue(Double.isFinite(bw.readBytesPerSecond() + bw.copyBytesPerSecond() + bw.triadBytesPerSecond()), bw.toString());
            assertEquals(bw.readBytesPerSecond(), bw.roofline());
            assertEquals(4L << 20, bw.arrayBytes());
            assertThrows(IllegalArgumentException.class, () -> MemoryBandwidth.measure(par, 1, 1));
        }
    }

    @Test
    void weightBytesPerTokenCountEveryMatrixOnceAndOneEmbeddingRow() throws Exception {
        for (boolean tied : new boolean[] {false, true}) {
            Path f = tmp.resolve("m-" + tied + ".gguf");
            ModelShape shape = new ModelShape("tiny", 64, 160, 3, 4, 2, 96, 256, 10000f, 1e-5f, null, tied);
            SyntheticModels.write(shape, DType.Q8_0, 3, f);
            try (ModelWeights file = ModelFiles.open(f)) {
                LlamaConfig c = LlamaConfig.fromMetadata(file.metadata());
                LlamaWeights w = LlamaWeights.load(c, ModelLoader.lookup(file));
                // by hand: per block q, o [64×64], k, v [32×64], gate, up [160×64], down [64×160]; classifier [96×64]
                long perBlock = DType.Q8_0.bytesFor(2L * 64 * 64 + 2L * 32 * 64 + 3L * 160 * 64);
                long classifier = w.classifier().dtype().bytesFor(96L * 64);
                long row = w.tokenEmbedding().dtype().bytesFor(96L * 64) / 96;
                assertEquals(3 * perBlock + classifier + row, WeightTraffic.bytesPerToken(c, w), "tied=" + tied);
            }
        }
        assertEquals(0.5, WeightTraffic.rooflineShare(1_000_000, 10, 2e7), 1e-12);
    }
}
