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
                "--jlama-formats", "q4", "--threads", "3", "--tokens", "5", "--prompt-tokens", "7,9", "--repeats", "1",
                "--steering", "false", "--json"});
        assertEquals(List.of("llama2-110m", "llama3.2-1b"), o.shapes());
        assertEquals(List.of("djl"), o.peers());
        assertEquals(3, o.threads());
        assertEquals(List.of(7, 9), o.promptTokens());
        assertTrue(o.json());
        assertEquals(false, o.steering());
    }

    @Test
    void badArgumentsNameTheOption() {
        var p = assertThrows(IllegalArgumentException.class, () -> PeerBench.parse(new String[] {"--prompt-tokens", "128,0"}));
        assertTrue(p.getMessage().contains("--prompt-tokens"), p.getMessage());
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
        var bw = new io.jsteer.bench.MemoryBandwidth(10e9, 8e9, 9e9, 1 << 26, 2);
        var rows = List.of(new PeerBench.Row("llama2-110m", "f32", "jsteer", "F32", "reference", List.of(100.0, 80.0), 50, List.of(1.0, 1.0),
                        1, 1280, 700, 400_000_000L, Double.NaN).withRoofline(bw),
                new PeerBench.Row("llama2-110m", "f32", "djl", "F32 (PyTorch 2.7.1, 2 threads)", "greedy = jsteer f32", List.of(50.0, 40.0),
                        10, List.of(2.0, 2.0), 5, 2560, 900, 400_000_000L, Double.NaN).withRoofline(bw));
        var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(PeerBench.toJson(o, new PeerBench.Table(rows, bw)));
        assertEquals(2, doc.get("threads").asInt());
        assertEquals(2, doc.get("rows").size());
        assertEquals("djl", doc.get("rows").get(1).get("engine").asText());
        assertEquals(5.0, doc.get("rows").get(1).get("decodeRatio").asDouble());
        // 400 MB per token × 50 tok/s = 20 GB/s against 10 GB/s read: twice the roofline, as computed, not clamped
        assertEquals(200.0, doc.get("rows").get(0).get("rooflinePercent").asDouble(), 1e-9);
        assertEquals(40.0, doc.get("rows").get(1).get("rooflinePercent").asDouble(), 1e-9);
        assertEquals(2, doc.get("rows").get(1).get("prefill").size());
        assertEquals(10e9, doc.get("bandwidth").get("readBytesPerSecond").asDouble());
    }

    @Test
    void agreementIsTheCommonPrefix() {
        assertEquals("2/4 tokens", PeerBench.agreement(new int[] {1, 2, 3, 4}, new int[] {1, 2, 9, 4}));
        assertEquals(0.5, PeerBench.relativeDifference(new float[] {2, -1}, new float[] {1, -1}), 1e-12);
    }
}
