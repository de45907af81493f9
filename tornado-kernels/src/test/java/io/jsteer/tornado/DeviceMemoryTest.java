package io.jsteer.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.family.FamilyFixtureModel;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device-memory cap TornadoEngine.create sets counts the KV cache as the engine allocates it. */
class DeviceMemoryTest {

    /**
     * The mistral fixture (window 8) at a context of 4096: the estimate is smaller than the same
     * weights' without a window by exactly the rows the ring does not allocate (keys, values and
     * attention scores), plus the estimate's 25% headroom.
     */
    @Test
    void aSlidingWindowModelIsSizedWithItsRing(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("mistral.gguf");
        FamilyFixtureModel.write("mistral", f);
        try (LoadedModel m = ModelLoader.load(f, null)) {
            LlamaConfig windowed = m.config(), full = windowed.withFamily(windowed.family(), windowed.headSize(), 0);
            int capacity = 4096, slots = windowed.slidingWindow();
            long saved = (2L * windowed.nLayers() * windowed.kvDim() + windowed.nHeads()) * (capacity - slots) * Float.BYTES;
            long diff = DeviceMemory.estimate(full, m.weights(), capacity) - DeviceMemory.estimate(windowed, m.weights(), capacity);
            assertEquals(saved * 1.25, diff, 1.0, "bytes saved by the ring, with the 25% headroom");
        }
    }
}
