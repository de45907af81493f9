package io.jsteer.model.intervene;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.RopeStyle;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Single-token behaviour of each kind on both paths, the spec's test vectors, and validation. */
class InterventionKindsTest {

    private static final Site SITE = Site.parse("attn_heads:0");

    /** The intervention on one activation through the inference hook. */
    static float[] viaHook(Intervention i, float[] x, GateListener gates) {
        float[] y = x.clone();
        i.toHook(gates).apply(i.site(), 0, true, y);
        return y;
    }

    /** The same on a float64 tape. */
    static double[] viaTape(Intervention i, float[] x, GateListener gates) {
        Tape tape = new Tape(Precision.F64);
        return i.apply(tape, tape.constant(x, 1, x.length), 1, gates).toDoubleArray();
    }

    /** shared/design/mat-steer.md §7: d = 2, T = 2. */
    static GatedEdit specExample() {
        return new GatedEdit(SITE,
                Var.param(Precision.F64, new double[] {1, 0, 0, 2}, 2, 2),
                Var.param(Precision.F64, new double[] {1, 0, 0, 1}, 2, 2),
                Var.param(Precision.F64, new double[] {0, -1}, 2));
    }

    @Test
    void gatedEditReproducesTheSpecVectorsOnBothPaths() {
        GateRecorder hookGates = new GateRecorder(), tapeGates = new GateRecorder();
        float[] hook = viaHook(specExample(), new float[] {1, 1}, hookGates);
        double[] tape = viaTape(specExample(), new float[] {1, 1}, tapeGates);
        assertArrayEquals(new float[] {0.925517f, 1.069307f}, hook, 1e-6f);
        assertArrayEquals(new double[] {0.925517, 1.069307}, tape, 1e-6);
        // ‖ã‖ = ‖a‖·‖a'‖/(‖a'‖ + 1e-8): √2 up to the 1e-8 of the denominator
        assertEquals(Math.sqrt(2), Math.hypot(tape[0], tape[1]), 1e-8);
        assertArrayEquals(new double[] {0.731059, 0.5}, hookGates.records().getFirst().gates(), 1e-6);
        assertArrayEquals(new double[] {0.731059, 0.5}, tapeGates.records().getFirst().gates(), 1e-6);
        assertEquals(1, hookGates.countAbove(0, 0.5));
        // the gates as graph values, for losses on them: L_pos-style mean g² backpropagates into W and b
        GatedEdit e = specExample();
        Tape t = new Tape(Precision.F64);
        GatedEdit.Applied applied = e.applyWithGates(t, t.constant(new double[] {1, 1}, 1, 2));
        assertArrayEquals(new double[] {0.731059, 0.5}, applied.gates().toDoubleArray(), 1e-6);
        t.backward(t.mean(t.square(applied.gates())));
        // d/db_1 of (g1² + g2²)/2 = g1·g1(1 − g1)
        assertEquals(0.731059 * 0.731059 * (1 - 0.731059), e.gateBias().gradToDoubleArray()[0], 1e-6);
        assertEquals(0, hookGates.countAbove(1, 0.5));
    }

    @Test
    void gatedEditKeepsAnAlmostZeroEditUnnormalised() {
        // a = (1, 0), θ = (−2 + 2e-9, 0), gate sigmoid(0) = 0.5: a' = (1e-9, 0), ‖a'‖ ≤ 1e-8 → kept as it is
        // (renormalising would give 1e-9 · 1 / (1e-9 + 1e-8) ≈ 0.09)
        GatedEdit e = new GatedEdit(SITE,
                Var.constant(Precision.F64, new double[] {-2 + 2e-9}, 1, 1).named("theta"),
                Var.constant(Precision.F64, new double[] {0}, 1, 1),
                Var.constant(Precision.F64, new double[] {0}, 1));
        float[] hook = viaHook(e, new float[] {1}, null);
        double[] tape = viaTape(e, new float[] {1}, null);
        assertEquals(1e-9, hook[0], 1e-12);
        assertEquals(1e-9, tape[0], 1e-12);
    }

    @Test
    void addVectorAndAblateOnOneToken() {
        AddVector add = AddVector.of(SITE, new float[] {1, -2, 0.5f}, 2, Positions.GENERATED);
        float[] x = {3, 4, 5};
        float[] y = x.clone();
        add.toHook(null).apply(SITE, 7, true, y);
        assertArrayEquals(x, y, "a prompt token is left alone by a GENERATED vector");
        add.toHook(null).apply(SITE, 8, false, y);
        assertArrayEquals(new float[] {5, 0, 6}, y);

        Ablate ablate = Ablate.of(SITE, new float[] {0, 3, 4}); // d̂ = (0, 0.6, 0.8)
        float[] z = viaHook(ablate, x, null);
        // x·d̂ = 6.4 → x − 6.4 d̂ = (3, 0.16, −0.12), orthogonal to d̂
        assertArrayEquals(new float[] {3, 0.16f, -0.12f}, z, 1e-6f);
        assertArrayEquals(new double[] {3, 0.16, -0.12}, viaTape(ablate, x, null), 1e-6);
    }

    @Test
    void widthsAndLayersAreCheckedAgainstTheModel() {
        LlamaConfig c = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, RopeStyle.NORMAL, null, true);
        var e = assertThrows(IllegalArgumentException.class,
                () -> InterventionSet.of(AddVector.of(Site.parse("resid_post:2"), new float[288], 1, Positions.ALL)).toHooks(c));
        assertTrue(e.getMessage().startsWith("vector has 288 values, the model's width at resid_post is 64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> InterventionSet.of(AddVector.of(Site.parse("resid_post:7"), new float[64], 1, Positions.ALL)).toTapeHooks(c));
        assertTrue(e.getMessage().startsWith("layer 7 but the model has 5 blocks"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Ablate.of(SITE, new float[64]));
        assertTrue(e.getMessage().contains("zero"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new GatedEdit(SITE, Var.zerosParam(Precision.F32, 3, 64),
                Var.zerosParam(Precision.F32, 2, 64), Var.zerosParam(Precision.F32, 3)));
        assertTrue(e.getMessage().contains("gate weights must be [3, 64]"), e.getMessage());
        // a trained F32 parameter on an F64 tape is refused rather than silently losing its gradient
        AddVector trained = new AddVector(SITE, Var.zerosParam(Precision.F32, 3), 1, Positions.ALL);
        Tape tape = new Tape(Precision.F64);
        assertThrows(IllegalArgumentException.class, () -> trained.apply(tape, tape.constant(new double[3], 1, 3), 1, null));
    }

    @Test
    void anEmptySetCompilesToNoHooksAndParametersAreListedOnce() {
        LlamaConfig c = new LlamaConfig(8, 12, 2, 2, 1, 11, 32, 1e-5f, 10000f, RopeStyle.NORMAL, null, true);
        assertTrue(InterventionSet.of().toHooks(c).isEmpty());
        assertTrue(InterventionSet.of().toTapeHooks(c).isEmpty());
        Var v = Var.zerosParam(Precision.F32, 8);
        InterventionSet set = InterventionSet.of(new AddVector(Site.parse("resid_post:0"), v, 1, Positions.ALL),
                new AddVector(Site.parse("resid_post:1"), v, 2, Positions.ALL),
                AddVector.of(Site.parse("resid_post:1"), new float[8], 2, Positions.ALL));
        assertEquals(List.of(v), set.trainableParameters());
    }
}
