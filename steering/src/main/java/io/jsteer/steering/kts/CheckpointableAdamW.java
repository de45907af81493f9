package io.jsteer.steering.kts;

import io.jsteer.tensor.autograd.Storage;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.tensor.optim.LearningRateSchedule;
import io.jsteer.tensor.optim.Optimizer;
import java.util.List;

/**
 * AdamW (decoupled weight decay, bias correction, moments in double) whose state can be read
 * and restored for resumable checkpoints. It computes exactly what
 * {@code io.jsteer.tensor.optim.AdamW} computes (a test checks that); it exists because that
 * class keeps its moments private. Replace it once tensor.optim exposes optimizer state.
 */
public final class CheckpointableAdamW implements Optimizer {

    /** Step count and the first and second moments of every parameter ({@code null} before its first update). */
    public record State(int steps, double[][] m, double[][] v) {}

    private final List<Var> params;
    private final LearningRateSchedule schedule;
    private final double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay;
    private final double[][] m, v;
    private int steps;

    public CheckpointableAdamW(List<Var> params, LearningRateSchedule schedule, double weightDecay) {
        if (weightDecay < 0) {
            throw new IllegalArgumentException("weight decay must be 0 or more, got " + weightDecay);
        }
        this.params = List.copyOf(params);
        this.schedule = schedule;
        this.weightDecay = weightDecay;
        this.m = new double[this.params.size()][];
        this.v = new double[this.params.size()][];
    }

    @Override
    public void step() {
        double lr = schedule.at(steps);
        int t = steps + 1;
        double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
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
                data.set(i, data.get(i) * decay - lr * (mk[i] / c1) / (Math.sqrt(vk[i] / c2) + eps));
            }
        }
        steps++;
    }

    @Override public int steps() { return steps; }
    @Override public List<Var> params() { return params; }
    @Override public double learningRate() { return schedule.at(steps); }

    /** A deep copy of the state. */
    public State state() {
        double[][] mc = new double[m.length][], vc = new double[v.length][];
        for (int k = 0; k < m.length; k++) {
            mc[k] = m[k] == null ? null : m[k].clone();
            vc[k] = v[k] == null ? null : v[k].clone();
        }
        return new State(steps, mc, vc);
    }

    /** Restores a state taken from an optimizer over parameters of the same shapes. */
    public void restore(State s) {
        if (s.m().length != params.size() || s.v().length != params.size()) {
            throw new IllegalArgumentException("optimizer state holds " + s.m().length + " parameters, expected " + params.size());
        }
        for (int k = 0; k < params.size(); k++) {
            if (s.m()[k] != null && (s.m()[k].length != params.get(k).size() || s.v()[k].length != params.get(k).size())) {
                throw new IllegalArgumentException("optimizer state of parameter " + k + " has " + s.m()[k].length
                        + " values, the parameter " + params.get(k).size());
            }
            m[k] = s.m()[k] == null ? null : s.m()[k].clone();
            v[k] = s.v()[k] == null ? null : s.v()[k].clone();
        }
        steps = s.steps();
    }
}
