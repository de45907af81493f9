package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Feature capture and the MAT-Steer hook on the real stories260K engine. */
class EngineHooksTest {

    @Test
    void prefillCaptureEqualsTokenByTokenCapture() {
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(2); CpuEngine engine = m.newCpuEngine(128, par)) {
            for (String s : List.of("attn_heads:1", "resid_post:4")) {
                Site site = Site.parse(s);
                String text = "Q: Is the sky blue? A: Yes, it is.";
                float[] viaPrefill = MatFeatures.rows(engine, m.tokenizer(), site, List.of(text), false, false)[0];
                int[] ids = m.tokenizer().encode(text, true);
                float[][] last = new float[1][];
                engine.setHooks(new Hooks(m.config().nLayers()).add(site, (at, pos, inPrompt, x) -> {
                    if (pos == ids.length - 1) {
                        last[0] = x.clone();
                    }
                }));
                for (int i = 0; i < ids.length; i++) {
                    engine.forward(ids[i], i, true);
                }
                engine.setHooks(null);
                assertEquals(m.config().dim(), viaPrefill.length);
                assertArrayEquals(last[0], viaPrefill, 1e-4f, s);
                // the ALL option: one row per token, the last one the last-token feature
                float[][] every = MatFeatures.rows(engine, m.tokenizer(), site, List.of(text), true, false);
                assertEquals(ids.length, every.length);
                assertArrayEquals(viaPrefill, every[ids.length - 1], 1e-5f, s); // same prefill; JIT may change float rounding
                float[][] rows = MatFeatures.rows(engine, m.tokenizer(), site, List.of(text, "Q: A:"), true, false);
                assertEquals(ids.length + m.tokenizer().encode("Q: A:", true).length, rows.length);
                assertArrayEquals(every[3], rows[3], 1e-5f, s);
                // last-token rows of two texts: one per text, in order
                float[][] lastRows = MatFeatures.rows(engine, m.tokenizer(), site, List.of("Q: A:", text), false, false);
                assertEquals(2, lastRows.length);
                assertArrayEquals(viaPrefill, lastRows[1], 1e-5f, s);
            }
        }
    }

    @Test
    void gatedEditEditsEveryPositionWithTheSpecFormula() {
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(2); CpuEngine engine = m.newCpuEngine(64, par)) {
            Site site = Site.parse("attn_heads:3");
            MatParameters mat = MatParameters.initial(List.of("a", "b", "c"), m.config().dim(), 11);
            int[] ids = m.tokenizer().encode("Once upon a time", true);
            // record the activation before (unsteered) and after (an observer behind the edit) at every position
            float[][] before = new float[ids.length + 1][], after = new float[ids.length + 1][];
            int[] edits = new int[1];
            engine.setHooks(new Hooks(m.config().nLayers()).add(site, (at, pos, p, x) -> before[pos] = x.clone()));
            engine.prefill(ids, 0);
            GatedEdit edit = mat.toGatedEdit(site);
            engine.setHooks(new Hooks(m.config().nLayers()).add(site, (at, pos, p, x) -> after[pos] = x.clone()));
            engine.setInterventions(InterventionSet.of(edit), (at, pos, inPrompt, g) -> edits[0]++);
            engine.prefill(ids, 0);
            assertEquals(ids.length, edits[0]);
            for (int pos = 0; pos < ids.length; pos++) {
                // the same edit on a float64 tape (the trainable path's formula)
                Tape tape = new Tape(Precision.F64);
                double[] expected = edit.applyWithGates(tape, tape.constant(before[pos], 1, before[pos].length)).output().toDoubleArray();
                for (int j = 0; j < expected.length; j++) {
                    assertEquals(expected[j], after[pos][j], 1e-5);
                }
                assertEquals(norm(before[pos]), norm(after[pos]), 1e-4 * norm(before[pos]));
                assertTrue(Math.abs(after[pos][0] - before[pos][0]) + Math.abs(after[pos][5] - before[pos][5]) > 1e-6);
            }
            // and the next decoded token is edited too
            engine.forward(ids[ids.length - 1], ids.length, false);
            assertEquals(ids.length + 1, edits[0]);
        }
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
