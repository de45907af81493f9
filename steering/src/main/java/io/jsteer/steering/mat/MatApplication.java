package io.jsteer.steering.mat;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.GateListener;
import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.HostEdit;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import java.util.Locale;

/**
 * How a trained module is applied at run time: the paper's way (learned gates at every token,
 * norm preserved: the shared {@link GatedEdit}) or one of the paper's ablations.
 *
 * <ul>
 *   <li>{@link Selection#GATED}: g_t(a) at every token (MAT-Steer);</li>
 *   <li>{@link Selection#ALL}: g_t ≡ 1 at every token (Table 4 "All": the steering without its gates);</li>
 *   <li>{@link Selection#LAST}: g_t ≡ 1 at the last token of the question ({@code "... A:"}) and 0 elsewhere
 *       (Table 4 "Last"; the reference runtime edits the last position of each forward call, which in
 *       log-likelihood scoring is the last prompt token for the answer that follows);</li>
 *   <li>{@link Selection#RANDOM}: g_t ≡ 1 at a seeded random share of the tokens (Table 4 "Random"); the
 *       draw depends on (seed, item, position) only, so every choice of one item sees the same prompt edit.</li>
 * </ul>
 * {@code normPreserve = false} leaves {@code a + Σ g_t θ_t} unrescaled (Table 3 "minus normalisation").
 *
 * @param randomShare the share of tokens {@link Selection#RANDOM} edits, in (0, 1]
 */
public record MatApplication(Selection selection, boolean normPreserve, double randomShare, long seed)
        implements java.io.Serializable { // sent to Spark executors (jsteer spark mat-eval)

    /** Which tokens the module edits, and with what weight. */
    public enum Selection {
        GATED, ALL, LAST, RANDOM;

        public String label() { return name().toLowerCase(Locale.ROOT); }

        public static Selection parse(String s) {
            for (Selection x : values()) {
                if (x.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return x;
                }
            }
            throw new IllegalArgumentException("token selection must be gated, all, last or random, got '" + s + "'");
        }
    }

    /** The paper's application: learned gates, norm preserved. */
    public static final MatApplication PAPER = new MatApplication(Selection.GATED, true, 0.5, 0);

    public MatApplication {
        java.util.Objects.requireNonNull(selection, "selection");
        if (!(randomShare > 0 && randomShare <= 1)) {
            throw new IllegalArgumentException("random token share must be in (0, 1], got " + randomShare);
        }
    }

    /** The paper's application with the module's own norm setting. */
    public static MatApplication of(MatCheckpoint module) {
        return new MatApplication(Selection.GATED, module.metadata().normPreserved(), 0.5, 0);
    }

    public MatApplication withSelection(Selection s) { return new MatApplication(s, normPreserve, randomShare, seed); }

    public String label() {
        return selection.label() + (normPreserve ? "" : ", no norm preservation");
    }

    /**
     * The steering for scoring one item whose question is the first {@code promptTokens} tokens;
     * {@code itemKey} seeds the random selection. The paper's application is the shared
     * {@link GatedEdit} (the same code as {@code run --mat}); the ablations are {@link HostEdit}s
     * running {@link #hook}. Checked against the model now.
     */
    public InterventionSet interventions(MatParameters mat, Site site, LlamaConfig config, int promptTokens, long itemKey) {
        GatedEdit paper = mat.toGatedEdit(site);
        paper.validate(config);
        if (selection == Selection.GATED && normPreserve) {
            return InterventionSet.of(paper);
        }
        return InterventionSet.of(new HostEdit(site, "MAT-Steer ablation (" + label() + ")", mat.dim(),
                gates -> hook(mat, promptTokens, itemKey, gates)));
    }

    /**
     * The edit of one token (any selection, either norm setting):
     * <pre>
     *   g_t = sigmoid(w_t·a + b_t) (GATED) or 1 / 0 by the selection
     *   a'  = a + Σ_t g_t θ_t
     *   ã   = a'·‖a‖/(‖a'‖ + 1e-8)  when normPreserve and ‖a'‖ &gt; 1e-8, else a'
     * </pre>
     * With GATED and normPreserve this is GatedEdit's hook (a test holds them equal).
     */
    ActivationHook hook(MatParameters mat, int promptTokens, long itemKey, GateListener gates) {
        int nAttr = mat.attributeCount(), d = mat.dim();
        float[][] theta = mat.theta();
        return (s, position, inPrompt, x) -> {
            double[] g = new double[nAttr];
            if (selection == Selection.GATED) {
                mat.gates(x, g);
            } else if (selected(position, promptTokens, itemKey)) {
                java.util.Arrays.fill(g, 1);
            }
            double norm = 0;
            double[] edited = new double[d];
            for (int i = 0; i < d; i++) {
                edited[i] = x[i];
                norm += (double) x[i] * x[i];
            }
            norm = Math.sqrt(norm);
            for (int t = 0; t < nAttr; t++) {
                if (g[t] != 0) {
                    for (int i = 0; i < d; i++) {
                        edited[i] += g[t] * theta[t][i];
                    }
                }
            }
            double factor = 1;
            if (normPreserve) {
                double editedNorm = 0;
                for (double v : edited) {
                    editedNorm += v * v;
                }
                editedNorm = Math.sqrt(editedNorm);
                factor = editedNorm > GatedEdit.MIN_NORM ? norm / (editedNorm + GatedEdit.MIN_NORM) : 1;
            }
            for (int i = 0; i < d; i++) {
                x[i] = (float) (edited[i] * factor);
            }
            if (gates != null) {
                gates.onGates(s, position, inPrompt, g);
            }
        };
    }

    /** Whether a fixed (ungated) selection edits the token at {@code position}. */
    boolean selected(int position, int promptTokens, long itemKey) {
        return switch (selection) {
            case GATED, ALL -> true;
            case LAST -> position == promptTokens - 1;
            case RANDOM -> unit(seed, itemKey, position) < randomShare;
        };
    }

    /** A uniform number in [0, 1) from (seed, item, position): the same token gets the same draw on every pass. */
    static double unit(long seed, long item, int position) {
        long z = seed * 0x9E3779B97F4A7C15L + item * 0xBF58476D1CE4E5B9L + position * 0x94D049BB133111EBL + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }
}
