package io.jsteer.model.intervene;

import java.util.Arrays;

/**
 * The hooks attached to a model, indexed by site so that the forward pass asks one array slot
 * per site and a model without hooks pays a null check per block and nothing else.
 *
 * <p>Given to an engine's {@code setHooks}, hooks are observers: they read activations and must
 * not change them (steering goes through {@code setInterventions}). {@link #steerThenObserve}
 * is how an engine runs both at one site.
 */
public final class Hooks {

    private final int nLayers;
    /** [kind][layer] → hooks in the order they were added (the first {@link #counts} slots), or null. */
    private final ActivationHook[][][] bySite;
    /** [kind][layer] → how many slots of bySite are used; the arrays grow by doubling so n adds cost O(n). */
    private final int[][] counts;

    public Hooks(int nLayers) {
        this.nLayers = nLayers;
        this.bySite = new ActivationHook[SiteKind.values().length][nLayers][];
        this.counts = new int[SiteKind.values().length][nLayers];
    }

    /** Adds {@code hook} at {@code site}; hooks at one site run in the order added. */
    public Hooks add(Site site, ActivationHook hook) {
        if (site.layer() >= nLayers) {
            throw new IllegalArgumentException("site " + site + " is past the model's last block " + (nLayers - 1));
        }
        int k = site.kind().ordinal(), l = site.layer();
        ActivationHook[] old = bySite[k][l];
        int n = counts[k][l];
        if (old == null) {
            bySite[k][l] = old = new ActivationHook[1];
        } else if (n == old.length) {
            bySite[k][l] = old = Arrays.copyOf(old, 2 * n);
        }
        old[n] = hook;
        counts[k][l] = n + 1;
        return this;
    }

    /**
     * What an engine runs: at every site the compiled {@code steering} hooks first, then the
     * {@code observers}, which so see the edited activation; either may be null. Null when both
     * are empty. With assertions on (-ea, as in the tests) each observer is checked to leave the
     * activation as it found it, and one that edits it fails with an AssertionError naming its site.
     */
    public static Hooks steerThenObserve(Hooks steering, Hooks observers) {
        boolean steers = steering != null && !steering.isEmpty(), observes = observers != null && !observers.isEmpty();
        if (!steers && !observes) {
            return null;
        }
        Hooks out = new Hooks((steers ? steering : observers).nLayers);
        if (steers && observes && steering.nLayers != observers.nLayers) {
            throw new IllegalArgumentException("steering is for " + steering.nLayers + " blocks, observers for " + observers.nLayers);
        }
        boolean check = Hooks.class.desiredAssertionStatus();
        for (int k = 0; k < out.bySite.length; k++) {
            for (int l = 0; l < out.nLayers; l++) {
                Site site = new Site(SiteKind.values()[k], l);
                if (steers) {
                    for (int i = 0; i < steering.counts[k][l]; i++) {
                        out.add(site, steering.bySite[k][l][i]);
                    }
                }
                if (observes) {
                    for (int i = 0; i < observers.counts[k][l]; i++) {
                        ActivationHook h = observers.bySite[k][l][i];
                        out.add(site, check ? readOnly(h) : h);
                    }
                }
            }
        }
        return out;
    }

    /** {@code observer} checked to leave its activation unchanged (a copy compared after each call). */
    private static ActivationHook readOnly(ActivationHook observer) {
        return (site, position, inPrompt, x) -> {
            float[] before = x.clone();
            observer.apply(site, position, inPrompt, x);
            if (!Arrays.equals(before, x)) {
                throw new AssertionError("an observer hook at " + site + " changed the activation at position " + position
                        + ": hooks only observe; steer with setInterventions");
            }
        };
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

    /** Whether some hook listens at (kind, layer): an engine that must move activations to run hooks does so only there. */
    public boolean has(SiteKind kind, int layer) {
        return bySite[kind.ordinal()][layer] != null;
    }

    /** Runs the hooks at (kind, layer), if any, on {@code x}. */
    public void run(SiteKind kind, int layer, int position, boolean inPrompt, float[] x) {
        ActivationHook[] hooks = bySite[kind.ordinal()][layer];
        if (hooks != null) {
            Site site = new Site(kind, layer);
            int n = counts[kind.ordinal()][layer];
            for (int i = 0; i < n; i++) {
                hooks[i].apply(site, position, inPrompt, x);
            }
        }
    }
}
