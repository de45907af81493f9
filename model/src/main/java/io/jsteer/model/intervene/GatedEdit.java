package io.jsteer.model.intervene;

import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * MAT-Steer's gated multi-attribute edit (shared/design/mat-steer.md §1), at every position:
 * <pre>
 *   g_t = sigmoid(w_t·a + b_t)                 t = 1..T, all from the unedited a
 *   a'  = a + m · Σ_t g_t θ_t
 *   ã   = a' · ‖a‖ / (‖a'‖ + 1e-8)             (norm preservation)
 * </pre>
 * As in the runtime code of the paper, a token whose {@code ‖a'‖ ≤ 1e-8} keeps {@code a'}
 * unnormalised (on the trainable path that row's rescaling is a constant 1, so no gradient flows
 * through the rescaling there). Every token's gates go to the {@link GateListener}, if any.
 *
 * @param site       where (MAT-Steer's default is {@code attn_heads:L}, the input of o_proj)
 * @param theta      steering vectors {@code [T, dim]}
 * @param gateWeight gate weights {@code [T, dim]}
 * @param gateBias   gate biases {@code [T]}
 * @param multiplier m (1 in the paper)
 */
public record GatedEdit(Site site, Var theta, Var gateWeight, Var gateBias, double multiplier) implements Intervention {

    /** Below this ‖a'‖ the edit is not renormalised. */
    public static final double MIN_NORM = 1e-8;

    public GatedEdit {
        if (theta.rank() != 2) {
            throw new IllegalArgumentException("theta must be [attributes, dim], got " + theta);
        }
        int attributes = theta.dim(0);
        if (gateWeight.rank() != 2 || gateWeight.dim(0) != attributes || gateWeight.dim(1) != theta.dim(1)) {
            throw new IllegalArgumentException("gate weights must be [" + attributes + ", " + theta.dim(1) + "] like theta, got "
                    + gateWeight);
        }
        if (gateBias.size() != attributes || gateBias.rank() != 1) {
            throw new IllegalArgumentException("gate biases must be [" + attributes + "], got " + gateBias);
        }
        if (!Double.isFinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be finite, got " + multiplier);
        }
    }

    /** With the paper's multiplier 1. */
    public GatedEdit(Site site, Var theta, Var gateWeight, Var gateBias) {
        this(site, theta, gateWeight, gateBias, 1);
    }

    public int attributes() { return theta.dim(0); }

    @Override
    public String kind() { return "gated_edit"; }

    @Override
    public void validate(LlamaConfig c) {
        ModelChecks.site(c, site);
        ModelChecks.width(c, site, "theta row", theta.dim(1));
    }

    @Override
    public List<Var> trainableParameters() {
        List<Var> out = new ArrayList<>();
        for (Var v : List.of(theta, gateWeight, gateBias)) {
            if (v.requiresGrad()) {
                out.add(v);
            }
        }
        return out;
    }

    @Override
    public ActivationHook toHook(GateListener gates) {
        int nAttr = attributes(), d = theta.dim(1);
        double[] th = theta.toDoubleArray(), w = gateWeight.toDoubleArray(), b = gateBias.toDoubleArray();
        double m = multiplier;
        return (s, position, inPrompt, x) -> {
            double[] g = new double[nAttr];
            double[] edited = new double[d];
            double norm = 0;
            for (int i = 0; i < d; i++) {
                edited[i] = x[i];
                norm += (double) x[i] * x[i];
            }
            norm = Math.sqrt(norm);
            for (int t = 0; t < nAttr; t++) {
                double z = b[t];
                for (int i = 0; i < d; i++) {
                    z += w[t * d + i] * x[i];
                }
                g[t] = 1 / (1 + Math.exp(-z));
                for (int i = 0; i < d; i++) {
                    edited[i] += m * g[t] * th[t * d + i];
                }
            }
            double editedNorm = 0;
            for (double v : edited) {
                editedNorm += v * v;
            }
            editedNorm = Math.sqrt(editedNorm);
            double factor = editedNorm > MIN_NORM ? norm / (editedNorm + MIN_NORM) : 1;
            for (int i = 0; i < d; i++) {
                x[i] = (float) (edited[i] * factor);
            }
            if (gates != null) {
                gates.onGates(s, position, inPrompt, g);
            }
        };
    }

    /** The gates and the edited activations of one application on the trainable path. */
    public record Applied(Var gates, Var output) {}

    /**
     * The edit of {@code x [N, dim]} on a tape, returning the gates {@code [N, T]} as graph values
     * too, for losses on them (MAT-Steer's sparsity and preservation terms).
     */
    public Applied applyWithGates(Tape tape, Var x) {
        int rows = x.rows();
        Var th = TapeParams.onTape(tape, theta, "theta of " + site);
        Var w = TapeParams.onTape(tape, gateWeight, "gate weights of " + site);
        Var b = TapeParams.onTape(tape, gateBias, "gate biases of " + site);
        Var g = tape.sigmoid(tape.add(tape.linear(x, w), b));                       // [N, T]
        Var edited = tape.add(x, tape.scale(tape.matmul(g, th), multiplier));       // [N, dim]
        Var editedNorm = tape.rowNorm(edited);                                      // [N, 1]
        Var factor = tape.div(tape.rowNorm(x), tape.addScalar(editedNorm, MIN_NORM)); // [N, 1]
        double[] keep = new double[rows];
        boolean anySkipped = false;
        for (int t = 0; t < rows; t++) {
            keep[t] = editedNorm.get(t) > MIN_NORM ? 1 : 0;
            anySkipped |= keep[t] == 0;
        }
        if (anySkipped) {
            // factor ⊙ keep + (1 − keep): rows at (almost) zero keep a' as it is
            Var keepColumn = tape.constant(keep, rows, 1);
            Var skipColumn = tape.addScalar(tape.neg(keepColumn), 1);
            factor = tape.add(tape.mul(factor, keepColumn), skipColumn);
        }
        return new Applied(g, tape.mul(edited, factor));
    }

    @Override
    public Var apply(Tape tape, Var x, int promptLength, GateListener gates) {
        Applied applied = applyWithGates(tape, x);
        if (gates != null) {
            int nAttr = attributes();
            for (int t = 0; t < x.rows(); t++) {
                double[] row = new double[nAttr];
                for (int a = 0; a < nAttr; a++) {
                    row[a] = applied.gates().get(t * nAttr + a);
                }
                gates.onGates(site, t, t < promptLength, row);
            }
        }
        return applied.output();
    }
}
