package io.jsteer.steering.kts;

import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;

/**
 * Steering as KTS applies it (spec §1): {@code c · v_l} added to the output of block l
 * (resid_post) at every position, for each block with a vector.
 *
 * @param vectors    [nLayers][dim]; a null row leaves that block unsteered
 * @param multiplier c
 */
public record BlockSteering(float[][] vectors, double multiplier) {

    /** Whether this steers anything (some vector and c ≠ 0). */
    public boolean active() {
        if (multiplier == 0 || vectors == null) {
            return false;
        }
        for (float[] v : vectors) {
            if (v != null) {
                return true;
            }
        }
        return false;
    }

    /** The same vectors at another multiplier. */
    public BlockSteering withMultiplier(double c) {
        return new BlockSteering(vectors, c);
    }

    /** {@code c · v_l} for block l, or null when that block is not steered. */
    public float[] scaledVector(int layer) {
        float[] v = vectors == null ? null : vectors[layer];
        if (v == null) {
            return null;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (multiplier * v[i]);
        }
        return out;
    }

    /** Inference-engine hooks that add the same offsets at resid_post (for {@code CpuEngine}). */
    public Hooks toHooks(int nLayers) {
        Hooks hooks = new Hooks(nLayers);
        if (!active()) {
            return hooks;
        }
        for (int l = 0; l < nLayers; l++) {
            float[] add = scaledVector(l);
            if (add != null) {
                hooks.add(new Site(SiteKind.RESID_POST, l), (site, pos, inPrompt, x) -> {
                    for (int i = 0; i < add.length; i++) {
                        x[i] += add[i];
                    }
                });
            }
        }
        return hooks;
    }
}
