package io.jsteer.tensor.optim;

import io.jsteer.tensor.autograd.Storage;
import io.jsteer.tensor.autograd.Var;

import java.util.List;

/** Gradient clipping by the global L2 norm over all parameters. */
public final class GradientClipping {

    private GradientClipping() {}

    /** ‖(all gradients)‖₂; parameters without a gradient count as zero. */
    public static double globalNorm(List<Var> params) {
        double sum = 0;
        for (Var p : params) {
            Storage g = p.grad();
            if (g != null) {
                for (int i = 0; i < g.size(); i++) {
                    sum += g.get(i) * g.get(i);
                }
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * Scales all gradients by {@code maxNorm / norm} when their global norm exceeds
     * {@code maxNorm}, so it becomes exactly maxNorm; returns the norm before clipping.
     */
    public static double clipGlobalNorm(List<Var> params, double maxNorm) {
        double norm = globalNorm(params);
        if (norm > maxNorm && norm > 0) {
            double factor = maxNorm / norm;
            for (Var p : params) {
                Storage g = p.grad();
                if (g != null) {
                    for (int i = 0; i < g.size(); i++) {
                        g.set(i, g.get(i) * factor);
                    }
                }
            }
        }
        return norm;
    }
}
