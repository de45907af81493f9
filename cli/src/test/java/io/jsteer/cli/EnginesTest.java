package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void cpuIsAlwaysThere() {
        Engines.requireSupported("cpu");
    }
}
