package io.jsteer.bench;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.kts.gate.SteeringGate;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One way of running a request for the steering-overhead rows of {@code jsteer bench}: the steering
 * its tokens run with (an intervention set, compiled by the engine as for any request), the LoRA adapter the engine applies (unmerged: {@code y += s·B(A x)} on top of
 * the frozen projection), and a probe gate read on the prompt before generation. Parameters are
 * random (a fixed seed) but of the sizes the real methods use, so that each setup does the work it
 * does in use.
 *
 * @param name    short label for the table
 * @param what    what it runs, for the table's notes
 * @param steering interventions on every token, or null
 * @param adapter LoRA adapter, or null
 * @param gate    KTS probe gate, or null; when present it is read on the prompt first (an unsteered
 *                prefill with a capture hook at its block, then the probe), as {@code serve --gate} does
 */
public record SteeringSetup(String name, String what, InterventionSet steering, LoraAdapter adapter, SteeringGate gate) {

    /** Strength of the random unit vectors, about what a CAA vector is scaled to. */
    static final double STRENGTH = 4;

    /** MAT-Steer attributes in the gated-edit setup. */
    static final int MAT_ATTRIBUTES = 4;

    /** KTS's LoRA: rank 8, alpha 16, every projection of every block (KtsTrainConfig's defaults). */
    static final int LORA_RANK = 8;
    static final double LORA_ALPHA = 16;

    /**
     * The six setups, in table order: none; one additive vector at {@code resid_post} of the middle
     * block; one at every block; MAT-Steer's gated edit at {@code attn_heads} of the middle block;
     * a KTS LoRA adapter; and the probe gate (at the middle block, threshold 0 so that it opens) in
     * front of the one additive vector, so that its row differs from the one-vector row by the gate alone.
     */
    public static List<SteeringSetup> all(LlamaConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int mid = c.nLayers() / 2, dim = c.dim();
        List<SteeringSetup> out = new ArrayList<>();
        out.add(new SteeringSetup("none", "no steering", null, null, null));
        InterventionSet one = checked(c, InterventionSet.of(AddVector.of(new Site(SiteKind.RESID_POST, mid), unit(r, dim), STRENGTH, Positions.ALL)));
        out.add(new SteeringSetup("add@1", "one additive vector, resid_post[" + mid + "], ×" + STRENGTH, one, null, null));
        InterventionSet every = InterventionSet.of();
        for (int l = 0; l < c.nLayers(); l++) {
            every = every.plus(AddVector.of(new Site(SiteKind.RESID_POST, l), unit(r, dim), STRENGTH, Positions.ALL));
        }
        out.add(new SteeringSetup("add@all", "an additive vector at every block's resid_post", checked(c, every), null, null));
        int t = MAT_ATTRIBUTES;
        GatedEdit mat = new GatedEdit(new Site(SiteKind.ATTN_HEADS, mid), gaussian(r, 0.5, t, dim), gaussian(r, 1.0 / Math.sqrt(dim), t, dim),
                gaussian(r, 1, t));
        out.add(new SteeringSetup("mat-gates", "MAT-Steer gated edit, " + t + " attributes, attn_heads[" + mid + "], norm-preserving",
                checked(c, InterventionSet.of(mat)), null, null));
        out.add(new SteeringSetup("kts-lora", "KTS LoRA adapter, rank " + LORA_RANK + ", all 7 projections of every block, unmerged",
                null, lora(c, r), null));
        LinearProbe probe = new LinearProbe(mid, new float[][] {unit(r, dim), unit(r, dim)}, new float[2], new float[dim], ones(dim));
        out.add(new SteeringSetup("probe-gate", "KTS probe gate at resid_post[" + mid + "] (reads the prompt once more), then add@1",
                one, null, new SteeringGate(probe, 0)));
        return out;
    }

    private static InterventionSet checked(LlamaConfig c, InterventionSet set) {
        set.check(c);
        return set;
    }

    private static LoraAdapter lora(LlamaConfig c, SplittableRandom r) {
        int n = LoraTarget.values().length;
        Var[][] a = new Var[c.nLayers()][n], b = new Var[c.nLayers()][n];
        for (int l = 0; l < c.nLayers(); l++) {
            for (LoraTarget target : LoraTarget.values()) {
                int in = target.inFeatures(c), outF = target.outFeatures(c);
                // A as LoraAdapter.initialize draws it; B non-zero (a trained adapter's), so the adapter changes the output
                a[l][target.ordinal()] = gaussian(r, 1 / Math.sqrt(in), LORA_RANK, in);
                b[l][target.ordinal()] = gaussian(r, 0.05, outF, LORA_RANK);
            }
        }
        return LoraAdapter.of(c, LORA_RANK, LORA_ALPHA, EnumSet.allOf(LoraTarget.class), a, b);
    }

    /** A random direction of length 1 (Gaussian components, normalised): the bench's steering vectors. */
    public static float[] unit(SplittableRandom r, int dim) {
        float[] v = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static Var gaussian(SplittableRandom r, double sigma, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * sigma);
        }
        return Var.constant(Precision.F32, v, shape);
    }
}
