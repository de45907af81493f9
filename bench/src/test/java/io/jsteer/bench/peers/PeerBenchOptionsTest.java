package io.jsteer.bench.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** PeerBench's arguments (what the CLI passes to the child JVM) and its small helpers. */
class PeerBenchOptionsTest {

    @Test
    void parsesWhatTheCliPasses() {
        PeerBench.Options o = PeerBench.parse(new String[] {"--shape", "llama2-110m,llama3.2-1b", "--against", "djl",
                "--jlama-formats", "q4", "--threads", "3", "--tokens", "5", "--prompt-tokens", "7", "--repeats", "1",
                "--steering", "false", "--json"});
        assertEquals(List.of("llama2-110m", "llama3.2-1b"), o.shapes());
        assertEquals(List.of("djl"), o.peers());
        assertEquals(3, o.threads());
        assertEquals(7, o.promptTokens());
        assertTrue(o.json());
        assertEquals(false, o.steering());
    }

    @Test
    void badArgumentsNameTheOption() {
        var e = assertThrows(IllegalArgumentException.class, () -> PeerBench.parse(new String[] {"--against", "onnx"}));
        assertTrue(e.getMessage().contains("unknown peer 'onnx'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PeerBench.parse(new String[] {"--threads", "two"}));
        assertTrue(e.getMessage().contains("--threads must be an integer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PeerBench.parse(new String[] {"--jlama-formats", "q5"}));
        assertTrue(e.getMessage().contains("unknown Jlama format 'q5'"), e.getMessage());
    }

    @Test
    void jsonCarriesEveryRowAndTheSettings() throws Exception {
        PeerBench.Options o = PeerBench.parse(new String[] {"--threads", "2", "--json"});
        var rows = List.of(new PeerBench.Row("llama2-110m", "f32", "jsteer", "F32", "reference", 100, 50, 1, 1),
                new PeerBench.Row("llama2-110m", "f32", "djl", "F32 (PyTorch 2.7.1, 2 threads)", "greedy = jsteer f32", 50, 10, 2, 5));
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(PeerBench.toJson(o, rows));
        assertEquals(2, doc.get("threads").asInt());
        assertEquals(2, doc.get("rows").size());
        assertEquals("djl", doc.get("rows").get(1).get("engine").asText());
        assertEquals(5.0, doc.get("rows").get(1).get("decodeRatio").asDouble());
    }

    @Test
    void agreementIsTheCommonPrefix() {
        assertEquals("2/4 tokens", PeerBench.agreement(new int[] {1, 2, 3, 4}, new int[] {1, 2, 9, 4}));
        assertEquals(0.5, PeerBench.relativeDifference(new float[] {2, -1}, new float[] {1, -1}), 1e-12);
    }
}
