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

    /**
     * Everything a resumed run needs besides the parameters and the schedule: the step count and
     * the first and second moments of every parameter ({@code null} before its first update).
     */
    public record State(int steps, double[][] m, double[][] v) {}

    /** A deep copy of the optimizer's state (later steps do not change it). */
    public final State state() {
        double[][] mc = new double[m.length][], vc = new double[v.length][];
        for (int k = 0; k < m.length; k++) {
            mc[k] = m[k] == null ? null : m[k].clone();
            vc[k] = v[k] == null ? null : v[k].clone();
        }
        return new State(steps, mc, vc);
    }

    /**
     * Continues from {@code s} (taken from an optimizer over parameters of the same sizes, in the
     * same order): the next step is exactly the one the original optimizer would have taken.
     */
    public final void restore(State s) {
        if (s.steps() < 0) {
            throw new IllegalArgumentException("optimizer state: steps must be 0 or more, got " + s.steps());
        }
        if (s.m().length != params.size() || s.v().length != params.size()) {
            throw new IllegalArgumentException("optimizer state holds " + s.m().length + " parameters, the optimizer "
                    + params.size());
        }
        for (int k = 0; k < params.size(); k++) {
            double[] mk = s.m()[k], vk = s.v()[k];
            if ((mk == null) != (vk == null)) {
                throw new IllegalArgumentException("optimizer state of parameter " + k + ": m and v must both be present or absent");
            }
            if (mk != null && (mk.length != params.get(k).size() || vk.length != params.get(k).size())) {
                throw new IllegalArgumentException("optimizer state of parameter " + k + " has " + mk.length
                        + " values, the parameter " + params.get(k).size());
            }
        }
        for (int k = 0; k < params.size(); k++) {
            m[k] = s.m()[k] == null ? null : s.m()[k].clone();
            v[k] = s.v()[k] == null ? null : s.v()[k].clone();
        }
        steps = s.steps();
    }

    @Override public final int steps() { return steps; }
    @Override public final List<Var> params() { return params; }
    @Override public final double learningRate() { return schedule.at(steps); }
}
