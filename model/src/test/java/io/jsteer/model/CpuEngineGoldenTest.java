package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CpuEngineGoldenTest {

    static Path shared(String rel) {
        return Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve(rel);
    }

    @Test
    void positionZeroLogitsAndGreedyIdsMatchManifest() throws Exception {
        var parts = TempBinLoader.load(shared("models/stories260K.bin"));
        try (Parallel par = new Parallel(2); CpuEngine e = new CpuEngine(parts.config(), parts.weights(), 512, par)) {
            float[] logits = e.forward(1, 0, true);
            assertEquals(403, Sampler.argmax(logits, 512));
            assertEquals(17.0235, logits[403], 2e-4);
            assertEquals(15.4062, logits[385], 2e-4);
            assertEquals(-6.2229, logits[0], 2e-4);
            assertEquals(8.4043, logits[1], 2e-4);
        }
        try (Parallel par = new Parallel(2); CpuEngine e = new CpuEngine(parts.config(), parts.weights(), 512, par)) {
            GenerationResult r = new Generator(e).generate(new int[] {1}, 20, Sampler.greedy(), t -> t == 1, (a, b) -> {});
            assertArrayEquals(new int[] {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337},
                    r.generated());
        }
    }
}
