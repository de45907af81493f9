package io.jsteer.steering.mat;

import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.Site;

/**
 * Applies the gated, norm-preserving MAT-Steer edit to every position of every forward call
 * (prefill, decoded tokens, scored answers), the spec's §6 recommendation. Not thread-safe:
 * one hook per engine.
 */
public final class MatSteerHook implements ActivationHook {

    /** Receives the gates of each edited position (e.g. to count intervened tokens). */
    @FunctionalInterface
    public interface GateListener {
        /** @param gates [T], reused by the next call */
        void onGates(int position, boolean inPrompt, double[] gates);
    }

    private final MatParameters params;
    private final Site site;
    private final GateListener listener;
    private final double[] gates;

    public MatSteerHook(MatParameters params, Site site, GateListener listener) {
        this.params = params;
        this.site = site;
        this.listener = listener;
        this.gates = new double[params.attributeCount()];
    }

    /** Adds this hook to {@code hooks} at its site and returns them. */
    public Hooks installOn(Hooks hooks) {
        return hooks.add(site, this);
    }

    public Site site() { return site; }

    @Override
    public void apply(Site at, int position, boolean inPrompt, float[] x) {
        params.edit(x, gates);
        if (listener != null) {
            listener.onGates(position, inPrompt, gates);
        }
    }
}
