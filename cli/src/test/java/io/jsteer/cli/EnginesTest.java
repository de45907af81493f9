package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.Parallel;
import org.junit.jupiter.api.Test;

/** The default build has no tornado-kernels on its class path: --engine tornado must say how to get it. */
class EnginesTest {

    @Test
    void tornadoWithoutTheModuleSaysHowToGetIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.requireSupported("tornado"));
        assertTrue(e.getMessage().contains("no TornadoVM engine"), e.getMessage());
        assertTrue(e.getMessage().contains("-Ptornado"), e.getMessage());
        assertTrue(e.getMessage().contains("tornado-argfile"), e.getMessage());
    }

    @Test
    void unknownEngineIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Engines.requireSupported("cuda"));
        assertTrue(e.getMessage().contains("'cuda'"), e.getMessage());
    }

    /** --engine cpu builds the CPU engine over the model (its KV cache capped at the model's context) and it runs. */
    @Test
    void cpuIsAlwaysThere() throws Exception {
        try (LoadedModel m = ModelLoader.load(CliTest.shared("models/stories260K.gguf"), null); Parallel par = new Parallel(1);
             InferenceEngine e = Engines.create("cpu", m, 1 << 20, par)) {
            assertInstanceOf(CpuEngine.class, e);
            assertEquals(m.config().contextLength(), e.capacity());
            float[] logits = e.forward(m.tokenizer().bos(), 0, true);
            assertEquals(m.config().vocabSize(), logits.length);
            assertTrue(java.util.stream.IntStream.range(0, logits.length).allMatch(i -> Float.isFinite(logits[i])));
        }
        Engines.requireCpu("cpu", "training", "the tape");
        var e = assertThrows(IllegalArgumentException.class, () -> Engines.requireCpu("tornado", "kts train", "training runs on the CPU tape"));
        assertEquals("--engine tornado: kts train runs on the CPU only (training runs on the CPU tape); drop --engine or use --engine cpu",
                e.getMessage());
        assertThrows(UsageException.class, () -> Engines.requireCpu("cuda", "kts train", "the tape"));
    }
}
