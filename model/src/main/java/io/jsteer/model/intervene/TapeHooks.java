package io.jsteer.model.intervene;

import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@link TapeHook}s of a trainable forward pass, indexed by site like {@link Hooks}: a site
 * without hooks costs one array read and adds nothing to the tape.
 */
public final class TapeHooks {

    private final int nLayers;
    /** [kind][layer] → hooks in the order they were added, or null. */
    private final TapeHook[][][] bySite;

    public TapeHooks(int nLayers) {
        this.nLayers = nLayers;
        this.bySite = new TapeHook[SiteKind.values().length][nLayers][];
    }

    /** Adds {@code hook} at {@code site}; hooks at one site run in the order added. */
    public TapeHooks add(Site site, TapeHook hook) {
        if (site.layer() >= nLayers) {
            throw new IllegalArgumentException("layer " + site.layer() + " but the model has " + nLayers + " blocks (site " + site + ")");
        }
        TapeHook[] old = bySite[site.kind().ordinal()][site.layer()];
        List<TapeHook> list = old == null ? new ArrayList<>() : new ArrayList<>(Arrays.asList(old));
        list.add(hook);
        bySite[site.kind().ordinal()][site.layer()] = list.toArray(TapeHook[]::new);
        return this;
    }

    /** All hooks of {@code other} after this one's (both for the same number of blocks). */
    public TapeHooks addAll(TapeHooks other) {
        if (other.nLayers != nLayers) {
            throw new IllegalArgumentException("tape hooks for " + other.nLayers + " blocks added to hooks for " + nLayers);
        }
        for (SiteKind kind : SiteKind.values()) {
            for (int l = 0; l < nLayers; l++) {
                TapeHook[] hooks = other.bySite[kind.ordinal()][l];
                if (hooks != null) {
                    for (TapeHook h : hooks) {
                        add(new Site(kind, l), h);
                    }
                }
            }
        }
        return this;
    }

    public int layers() { return nLayers; }

    public boolean isEmpty() {
        for (TapeHook[][] perKind : bySite) {
            for (TapeHook[] h : perKind) {
                if (h != null) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Runs the hooks at (kind, layer), if any, on {@code x} {@code [T, dim]} and returns the result. */
    public Var run(Tape tape, SiteKind kind, int layer, Var x, int promptLength) {
        TapeHook[] hooks = bySite[kind.ordinal()][layer];
        if (hooks == null) {
            return x;
        }
        Site site = new Site(kind, layer);
        Var out = x;
        for (TapeHook h : hooks) {
            out = h.apply(tape, site, out, promptLength);
            if (!Arrays.equals(out.shape(), x.shape())) {
                throw new IllegalStateException("a tape hook at " + site + " returned " + out + " for " + x);
            }
        }
        return out;
    }
}
