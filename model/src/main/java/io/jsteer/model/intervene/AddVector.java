package io.jsteer.model.intervene;

import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;

/**
 * Adds {@code strength · vector} to the activation of every token the {@link Positions} include
 * (CAA, PCA, probe directions, control vectors, KTS's random steering).
 *
 * @param site      where
 * @param vector    {@code [dim]}; may be a trainable Var
 * @param strength  the multiplier
 * @param positions which tokens
 */
public record AddVector(Site site, Var vector, double strength, Positions positions) implements Intervention {

    public AddVector {
        if (vector.rank() != 1) {
            throw new IllegalArgumentException("steering vector must be one-dimensional [dim], got " + vector);
        }
        if (!Double.isFinite(strength)) {
            throw new IllegalArgumentException("strength must be finite, got " + strength);
        }
    }

    /** A fixed (not trained) vector. */
    public static AddVector of(Site site, float[] vector, double strength, Positions positions) {
        return new AddVector(site, Var.constant(Precision.F32, vector, vector.length), strength, positions);
    }

    @Override
    public String kind() { return "add"; }

    @Override
    public void validate(LlamaConfig c) {
        ModelChecks.site(c, site);
        ModelChecks.width(c, site, "vector", vector.size());
    }

    @Override
    public List<Var> trainableParameters() {
        return vector.requiresGrad() ? List.of(vector) : List.of();
    }

    @Override
    public ActivationHook toHook(GateListener gates) {
        // strength·v rounded to float once, exactly as the tape's scale() rounds it
        float[] delta = new float[vector.size()];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (float) (strength * vector.get(i));
            if (!Float.isFinite(delta[i])) {
                // a finite strength times a finite vector can still overflow float: refuse it here rather
                // than generate from an infinite residual stream
                throw new IllegalArgumentException("steering at " + site + ": strength " + strength + " × vector component "
                        + vector.get(i) + " is not a finite float");
            }
        }
        Positions p = positions;
        return (s, position, inPrompt, x) -> {
            if (p.includes(inPrompt)) {
                for (int i = 0; i < delta.length; i++) {
                    x[i] += delta[i];
                }
            }
        };
    }

    @Override
    public Var apply(Tape tape, Var x, int promptLength, GateListener gates) {
        int rows = x.rows(), included = TapeParams.includedRows(rows, promptLength, positions);
        if (included == 0) {
            return x;
        }
        Var delta = tape.scale(TapeParams.onTape(tape, vector, "vector of " + site), strength); // [dim]
        if (included == rows) {
            return tape.add(x, delta);
        }
        // mask[T,1] · delta[1,dim]: delta on the included rows, zeros elsewhere
        Var rowsDelta = tape.matmul(TapeParams.rowMask(tape, rows, promptLength, positions),
                tape.reshape(delta, 1, vector.size()));
        return tape.add(x, rowsDelta);
    }
}
