package io.jsteer.model.intervene;

import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;

/**
 * Directional ablation: {@code x − (x·d̂) d̂} with {@code d̂ = d/‖d‖}, at every position (the
 * refusal-direction method projects the direction out of every token).
 *
 * @param site      where
 * @param direction {@code [dim]}, any non-zero length; may be a trainable Var
 */
public record Ablate(Site site, Var direction) implements Intervention {

    public Ablate {
        if (direction.rank() != 1) {
            throw new IllegalArgumentException("ablation direction must be one-dimensional [dim], got " + direction);
        }
        double n = 0;
        for (int i = 0; i < direction.size(); i++) {
            n += direction.get(i) * direction.get(i);
        }
        if (!(n > 0) || !Double.isFinite(n)) {
            throw new IllegalArgumentException("ablation direction at " + site + " has zero or non-finite norm");
        }
    }

    /** A fixed (not trained) direction. */
    public static Ablate of(Site site, float[] direction) {
        return new Ablate(site, Var.constant(Precision.F32, direction, direction.length));
    }

    @Override
    public String kind() { return "ablate"; }

    @Override
    public void validate(LlamaConfig c) {
        ModelChecks.site(c, site);
        ModelChecks.width(c, site, "direction", direction.size());
    }

    @Override
    public List<Var> trainableParameters() {
        return direction.requiresGrad() ? List.of(direction) : List.of();
    }

    @Override
    public ActivationHook toHook(GateListener gates) {
        int n = direction.size();
        double[] unit = direction.toDoubleArray();
        double norm = 0;
        for (double v : unit) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < n; i++) {
            unit[i] /= norm;
        }
        return (s, position, inPrompt, x) -> {
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += x[i] * unit[i];
            }
            for (int i = 0; i < n; i++) {
                x[i] -= (float) (dot * unit[i]);
            }
        };
    }

    @Override
    public Var apply(Tape tape, Var x, int promptLength, GateListener gates) {
        int n = direction.size();
        Var d = tape.reshape(TapeParams.onTape(tape, direction, "direction of " + site), 1, n); // [1, dim]
        Var unit = tape.div(d, tape.rowNorm(d));                                                  // [1, dim]
        Var projection = tape.linear(x, unit);                                                    // [T, 1]
        return tape.sub(x, tape.matmul(projection, unit));                                        // [T, dim]
    }
}
