package io.jsteer.steering.mat;

import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.Site;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;

/**
 * The MAT-Steer objective of spec §2 in the reference code's mean forms, built on a tape from
 * the generic autograd ops:
 * <pre>
 *   L = λ_mmd · mean_t MMD²(edited negatives of t, k fresh positives of t)
 *     + λ_pos · mean(g² over all positives × all T gates)
 *     + λ_sparse · mean(|g| over all negatives × all T gates)
 *     + λ_ortho · Σ_{i&lt;j} cos²(θ_i, θ_j)
 * </pre>
 */
public final class MatLoss {

    /** The λ weights; QA defaults of the paper: 1, 0.9, 0.9, 0.1. */
    public record Weights(double mmd, double pos, double sparse, double ortho) {
        public static final Weights QA = new Weights(1, 0.9, 0.9, 0.1);
        /** The paper's generation (HelpSteer) weights. */
        public static final Weights GENERATION = new Weights(1, 0.8, 0.8, 0.1);

        public Weights {
            if (!(mmd >= 0 && pos >= 0 && sparse >= 0 && ortho >= 0)) {
                throw new IllegalArgumentException("loss weights must be 0 or more, got mmd " + mmd + ", pos " + pos
                        + ", sparse " + sparse + ", ortho " + ortho);
            }
        }
    }

    /** The trainable tensors: θ [T,d], W [T,d], b [T]. */
    public record Params(Var theta, Var gateWeight, Var gateBias) {}

    /**
     * One mini-batch. Rows are grouped by attribute: rows t·k .. (t+1)·k − 1 of
     * {@code positives} and {@code negatives} belong to attribute t.
     *
     * @param positives  [T·k, d] positives in the batch (for the preservation term)
     * @param negatives  [T·k, d] negatives in the batch (edited; MMD X-sets and sparsity term)
     * @param mmdTargets T tensors [k, d]: fresh positives of each attribute (MMD Y-sets)
     */
    public record Batch(Var positives, Var negatives, Var[] mmdTargets) {}

    /** The four terms (unweighted) and the weighted total, all scalars. */
    public record Terms(Var mmd, Var pos, Var sparse, Var ortho, Var total) {}

    /**
     * Training works on cached feature rows, not inside a model, so the edit's site is only a
     * label here (no gate listener or model validation sees it).
     */
    private static final Site FEATURES = Site.parse("resid_post:0");

    private MatLoss() {}

    /** Gates [N, T] = sigmoid(a·Wᵀ + b) of activations a [N, d]. */
    public static Var gates(Tape tape, Params p, Var a) {
        return tape.sigmoid(tape.add(tape.linear(a, p.gateWeight()), p.gateBias()));
    }

    /**
     * The gated, norm-preserving edit of cached feature rows {@code a [N, d]}: the shared
     * {@link GatedEdit} on the tape, so training optimises exactly what inference applies.
     * Returns its gates {@code [N, T]} and the edited rows {@code [N, d]}.
     */
    public static GatedEdit.Applied edit(Tape tape, Params p, Var a) {
        return new GatedEdit(FEATURES, p.theta(), p.gateWeight(), p.gateBias()).applyWithGates(tape, a);
    }

    /** Biased squared MMD averaged over attributes (the code averages; the paper sums). */
    public static Var mmd(Tape tape, Var editedNegatives, Var[] targets, double sigma) {
        int attributes = targets.length;
        int k = editedNegatives.dim(0) / attributes;
        Var sum = null;
        for (int t = 0; t < attributes; t++) {
            Var x = tape.slice(editedNegatives, 0, t * k, (t + 1) * k);
            Var term = tape.mmdSquared(x, targets[t], sigma);
            sum = sum == null ? term : tape.add(sum, term);
        }
        return tape.scale(sum, 1.0 / attributes);
    }

    /** Σ_{i<j} cos²(θ_i, θ_j) from the Gram matrix of the row-normalised θ, masked to i < j. */
    public static Var orthogonality(Tape tape, Var theta) {
        int t = theta.dim(0);
        Var unit = tape.div(theta, tape.rowNorm(theta));       // [T, d]
        Var gram = tape.linear(unit, unit);                     // [T, T] cosines
        double[] upper = new double[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                upper[i * t + j] = 1;
            }
        }
        return tape.sum(tape.mul(tape.square(gram), tape.constant(upper, t, t)));
    }

    /**
     * The edit without the norm preservation, {@code a' = a + Σ_t g_t θ_t} (the paper's Table 3
     * "minus normalisation" ablation): the same gates, the sum left unrescaled.
     */
    public static GatedEdit.Applied unnormalisedEdit(Tape tape, Params p, Var a) {
        Var g = gates(tape, p, a);                                   // [N, T]
        return new GatedEdit.Applied(g, tape.add(a, tape.matmul(g, p.theta()))); // [N, d]
    }

    /** The paper's objective with norm preservation on. */
    public static Terms compute(Tape tape, Params p, Batch batch, Weights w, double sigma) {
        return compute(tape, p, batch, w, sigma, true);
    }

    /** @param normPreserve false: the edited negatives are not rescaled to their norms (ablation) */
    public static Terms compute(Tape tape, Params p, Batch batch, Weights w, double sigma, boolean normPreserve) {
        GatedEdit.Applied neg = normPreserve ? edit(tape, p, batch.negatives()) : unnormalisedEdit(tape, p, batch.negatives());
        Var negGates = neg.gates();
        Var mmd = mmd(tape, neg.output(), batch.mmdTargets(), sigma);
        Var pos = tape.mean(tape.square(gates(tape, p, batch.positives())));
        Var sparse = tape.mean(tape.abs(negGates));
        Var ortho = orthogonality(tape, p.theta());
        Var total = tape.add(tape.add(tape.scale(mmd, w.mmd()), tape.scale(pos, w.pos())),
                tape.add(tape.scale(sparse, w.sparse()), tape.scale(ortho, w.ortho())));
        return new Terms(mmd, pos, sparse, ortho, total);
    }
}
