package io.jsteer.model.intervene;

import java.util.ArrayList;
import java.util.List;

/**
 * The hooks attached to a model, indexed by site so that the forward pass asks one array slot
 * per site and a model without hooks pays a null check per block and nothing else.
 */
public final class Hooks {

    private final int nLayers;
    /** [kind][layer] → hooks in the order they were added, or null. */
    private final ActivationHook[][][] bySite;

    public Hooks(int nLayers) {
        this.nLayers = nLayers;
        this.bySite = new ActivationHook[SiteKind.values().length][nLayers][];
    }

    /** Adds {@code hook} at {@code site}; hooks at one site run in the order added. */
    public Hooks add(Site site, ActivationHook hook) {
        if (site.layer() >= nLayers) {
            throw new IllegalArgumentException("site " + site + " is past the model's last block " + (nLayers - 1));
        }
        ActivationHook[] old = bySite[site.kind().ordinal()][site.layer()];
        List<ActivationHook> list = old == null ? new ArrayList<>() : new ArrayList<>(List.of(old));
        list.add(hook);
        bySite[site.kind().ordinal()][site.layer()] = list.toArray(ActivationHook[]::new);
        return this;
    }

    public boolean isEmpty() {
        for (ActivationHook[][] perKind : bySite) {
            for (ActivationHook[] h : perKind) {
                if (h != null) {
                    return false;
                }
            }
        }
        return true;
    }

    public int layers() { return nLayers; }

    /** Runs the hooks at (kind, layer), if any, on {@code x}. */
    public void run(SiteKind kind, int layer, int position, boolean inPrompt, float[] x) {
        ActivationHook[] hooks = bySite[kind.ordinal()][layer];
        if (hooks != null) {
            Site site = new Site(kind, layer);
            for (ActivationHook h : hooks) {
                h.apply(site, position, inPrompt, x);
            }
        }
    }
}
