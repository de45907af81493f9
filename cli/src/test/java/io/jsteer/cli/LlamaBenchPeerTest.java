package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** llama.cpp's outputs as jsteer bench reads them (lines as llama-bench and llama-batched-bench print them). */
class LlamaBenchPeerTest {

    @Test
    void prefillPerPromptLengthAndDecodeFromTheCsv() {
        String csv = """
                build_commit,n_threads,n_prompt,n_gen,n_depth,avg_ns,avg_ts,stddev_ts
                "de3ff81","2","128","0","0","192914193","664.618069","33.7"
                "de3ff81","2","512","0","0","992914193","515.25","3.7"
                "de3ff81","2","0","64","0","362637807","178.137859","20.3"
                """;
        LlamaBenchPeer.Result r = LlamaBenchPeer.parseCsv(csv, Path.of("m.gguf"));
        assertEquals(Map.of(128, 664.618069, 512, 515.25), r.prefill());
        assertEquals(178.137859, r.decode());
        var e = assertThrows(IllegalStateException.class, () -> LlamaBenchPeer.parseCsv("a,b\n1,2\n3,4\n", Path.of("m.gguf")));
        assertTrue(e.getMessage().contains("n_prompt"), e.getMessage());
    }

    @Test
    void aggregateDecodePerBatchFromBatchedBenchJsonLines() {
        String jsonl = """
                main: n_kv_max = 1024
                {"n_kv_max": 1024, "pp": 1, "tg": 8, "pl": 1, "n_kv": 9, "t_tg": 9.1, "speed_tg": 0.874505, "speed": 1.28}
                {"n_kv_max": 1024, "pp": 1, "tg": 8, "pl": 4, "n_kv": 36, "t_tg": 20.3, "speed_tg": 1.576363, "speed": 2.52}
                """;
        assertEquals(Map.of(1, 0.874505, 4, 1.576363), LlamaBenchPeer.parseBatchedJsonl(jsonl, Path.of("m.gguf")));
        var e = assertThrows(IllegalStateException.class, () -> LlamaBenchPeer.parseBatchedJsonl("{\"pl\": 1}", Path.of("m.gguf")));
        assertTrue(e.getMessage().contains("speed_tg"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> LlamaBenchPeer.parseBatchedJsonl("nothing\n", Path.of("m.gguf")));
    }
}
