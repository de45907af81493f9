package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CpuEngineTest {

    private static final int[] PROMPT = {1, 317, 269, 274, 287, 263, 377, 267, 265, 282, 295, 433, 426,
        403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 300, 301};

    private static LoadedModel model() {
        return TestModels.storiesBin();
    }

    @Test
    void batchedPrefillEqualsTokenByTokenForward() throws Exception {
        var m = model();
        float[] sequential;
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 64, new Parallel(1))) {
            float[] l = null;
            for (int i = 0; i < PROMPT.length; i++) {
                l = e.forward(PROMPT[i], i, true);
            }
            sequential = l.clone();
        }
        // 35 tokens crosses the 32-token prefill chunk boundary; also prefill in two calls
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 64, new Parallel(2))) {
            assertArrayEquals(sequential, e.prefill(PROMPT, 0), 1e-5f);
        }
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 64, new Parallel(2))) {
            e.prefill(java.util.Arrays.copyOf(PROMPT, 20), 0);
            float[] rest = e.prefill(java.util.Arrays.copyOfRange(PROMPT, 20, PROMPT.length), 20);
            assertArrayEquals(sequential, rest, 1e-5f);
        }
    }

    @Test
    void hooksSeeEverySiteInOrderAndCanSteer() throws Exception {
        var m = model();
        List<String> seen = new ArrayList<>();
        Hooks hooks = new Hooks(m.config().nLayers());
        for (SiteKind k : SiteKind.values()) {
            hooks.add(new Site(k, 2), (site, pos, inPrompt, x) -> seen.add(site + "@" + pos + (inPrompt ? "p" : "g")));
        }
        float[] plain, steered;
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 16, new Parallel(1))) {
            plain = e.forward(1, 0, true).clone();
            e.setHooks(hooks);
            assertArrayEquals(plain, e.forward(1, 0, true), 0f, "read-only hooks change nothing");
            e.forward(403, 1, false);
        }
        assertEquals(List.of("resid_pre:2@0p", "attn_heads:2@0p", "attn_out:2@0p", "mlp_out:2@0p", "resid_post:2@0p",
                "resid_pre:2@1g", "attn_heads:2@1g", "attn_out:2@1g", "mlp_out:2@1g", "resid_post:2@1g"), seen);

        var edit = new io.jsteer.model.intervene.HostEdit(new Site(SiteKind.RESID_POST, 4), "x0 + 5", -1,
                gates -> (s, p, ip, x) -> x[0] += 5f);
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 16, new Parallel(1))) {
            e.setInterventions(io.jsteer.model.intervene.InterventionSet.of(edit));
            steered = e.forward(1, 0, true).clone();
        }
        assertNotEquals(plain[403], steered[403]);
        // the same edit given as an observer is caught (tests run with assertions on): hooks only observe
        Hooks misuse = new Hooks(m.config().nLayers()).add(new Site(SiteKind.RESID_POST, 4), (s, p, ip, x) -> x[0] += 5f);
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 16, new Parallel(1))) {
            e.setHooks(misuse);
            AssertionError err = assertThrows(AssertionError.class, () -> e.forward(1, 0, true));
            assertTrue(err.getMessage().contains("observer hook at resid_post:4 changed the activation"), err.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Hooks(5).add(new Site(SiteKind.RESID_POST, 5), (s, p, ip, x) -> {}));
    }

    @Test
    void badTokensAndPositionsAreRejected() throws Exception {
        var m = model();
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 8, new Parallel(1))) {
            assertThrows(IllegalArgumentException.class, () -> e.forward(512, 0, true));
            assertThrows(IllegalArgumentException.class, () -> e.forward(-1, 0, true));
            var ex = assertThrows(IllegalArgumentException.class, () -> e.forward(1, 8, true));
            assertTrue(ex.getMessage().contains("context of 8"));
            assertThrows(IllegalArgumentException.class, () -> e.prefill(new int[9], 0));
        }
    }

    @Test
    void generationStopsAtTheContextEnd() throws Exception {
        var m = model();
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 10, new Parallel(1))) {
            GenerationResult r = new Generator(e).generate(new int[] {1}, 100, Sampler.greedy(), t -> false, (a, b) -> {});
            // each of the 10 positions yields one sampled token: BOS + 10, the last one never fed back
            assertEquals(11, r.tokens().length);
        }
    }
}
