package io.jsteer.tensor.optim;

import io.jsteer.tensor.autograd.Storage;
import io.jsteer.tensor.autograd.Var;

import java.util.List;

/**
 * Adam with bias correction (Kingma &amp; Ba): {@code m = β1 m + (1−β1) g},
 * {@code v = β2 v + (1−β2) g²}, {@code p −= lr · m̂ / (sqrt(v̂) + ε)} with
 * {@code m̂ = m/(1−β1ᵗ)}, {@code v̂ = v/(1−β2ᵗ)}. Moments are kept in double.
 * {@link AdamW} adds decoupled weight decay.
 */
public sealed class Adam implements Optimizer permits AdamW {

    private final List<Var> params;
    private final LearningRateSchedule schedule;
    private final double beta1, beta2, eps, weightDecay;
    private final double[][] m, v;
    private int steps;

    /** Adam with β = (0.9, 0.999) and ε = 1e-8. */
    public Adam(List<Var> params, LearningRateSchedule schedule) {
        this(params, schedule, 0.9, 0.999, 1e-8);
    }

    public Adam(List<Var> params, LearningRateSchedule schedule, double beta1, double beta2, double eps) {
        this(params, schedule, beta1, beta2, eps, 0);
    }

    /** {@code weightDecay} is decoupled (AdamW): {@code p −= lr·wd·p} before the Adam update. */
    Adam(List<Var> params, LearningRateSchedule schedule, double beta1, double beta2, double eps, double weightDecay) {
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1 || eps <= 0 || weightDecay < 0) {
            throw new IllegalArgumentException("bad Adam settings: β1 " + beta1 + ", β2 " + beta2 + ", ε " + eps
                    + ", weight decay " + weightDecay);
        }
        this.params = List.copyOf(params);
        this.schedule = schedule;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.m = new double[this.params.size()][];
        this.v = new double[this.params.size()][];
    }

    @Override
    public final void step() {
        double lr = schedule.at(steps);
        int t = steps + 1;
        double correction1 = 1 - Math.pow(beta1, t), correction2 = 1 - Math.pow(beta2, t);
        double decay = 1 - lr * weightDecay;
        for (int k = 0; k < params.size(); k++) {
            Var p = params.get(k);
            Storage g = p.grad(), data = p.data();
            if (g == null) {
                continue;
            }
            if (m[k] == null) {
                m[k] = new double[p.size()];
                v[k] = new double[p.size()];
            }
            double[] mk = m[k], vk = v[k];
            for (int i = 0; i < mk.length; i++) {
                double gi = g.get(i);
                mk[i] = beta1 * mk[i] + (1 - beta1) * gi;
                vk[i] = beta2 * vk[i] + (1 - beta2) * gi * gi;
                double mHat = mk[i] / correction1, vHat = vk[i] / correction2;
                data.set(i, data.get(i) * decay - lr * mHat / (Math.sqrt(vHat) + eps));
            }
        }
        steps++;
    }

    @Override public final int steps() { return steps; }
    @Override public final List<Var> params() { return params; }
    @Override public final double learningRate() { return schedule.at(steps); }
}
