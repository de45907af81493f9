package io.jsteer.model.train;

import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;

/** Finite-difference references for the trainable model's gradient tests (float64 tapes). */
public final class NumericGradients {

    private NumericGradients() {}

    /** Central differences (h = 1e-6) of Σ seed ⊙ logits with respect to every value of {@code p}. */
    public static double[] of(TrainableLlama model, int[] tokens, ForwardOptions options, Var p, double[] seed) {
        double h = 1e-6;
        double[] numeric = new double[p.size()];
        for (int i = 0; i < p.size(); i++) {
            double saved = p.data().get(i);
            p.data().set(i, saved + h);
            double up = weighted(model, tokens, options, seed);
            p.data().set(i, saved - h);
            double down = weighted(model, tokens, options, seed);
            p.data().set(i, saved);
            numeric[i] = (up - down) / (2 * h);
        }
        return numeric;
    }

    /** Σ seed ⊙ logits of one no-gradient forward pass. */
    public static double weighted(TrainableLlama model, int[] tokens, ForwardOptions options, double[] seed) {
        Var logits = model.logitsNoGrad(new Tape(Precision.F64), tokens, options);
        double s = 0;
        for (int i = 0; i < seed.length; i++) {
            s += seed[i] * logits.get(i);
        }
        return s;
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
