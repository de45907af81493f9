package io.jsteer.tensor.optim;

import io.jsteer.tensor.autograd.Var;

import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter), as PyTorch's AdamW: each step
 * first shrinks {@code p *= 1 − lr·wd}, then applies the plain Adam update. The decay does not
 * pass through the moments, so it is not rescaled by them.
 */
public final class AdamW extends Adam {

    /** β = (0.9, 0.999), ε = 1e-8. */
    public AdamW(List<Var> params, LearningRateSchedule schedule, double weightDecay) {
        this(params, schedule, 0.9, 0.999, 1e-8, weightDecay);
    }

    public AdamW(List<Var> params, LearningRateSchedule schedule, double beta1, double beta2, double eps,
                 double weightDecay) {
        super(params, schedule, beta1, beta2, eps, weightDecay);
    }
}
