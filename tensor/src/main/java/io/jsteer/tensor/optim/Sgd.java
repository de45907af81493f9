package io.jsteer.tensor.optim;

import io.jsteer.tensor.autograd.Storage;
import io.jsteer.tensor.autograd.Var;

import java.util.List;

/**
 * Stochastic gradient descent, optionally with (PyTorch-style) momentum:
 * {@code v = μ·v + g; p −= lr·v}, with v starting at the first gradient.
 */
public final class Sgd implements Optimizer {

    private final List<Var> params;
    private final LearningRateSchedule schedule;
    private final double momentum;
    private final double[][] velocity;
    private int steps;

    public Sgd(List<Var> params, LearningRateSchedule schedule) {
        this(params, schedule, 0);
    }

    public Sgd(List<Var> params, LearningRateSchedule schedule, double momentum) {
        if (momentum < 0 || momentum >= 1) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        this.params = List.copyOf(params);
        this.schedule = schedule;
        this.momentum = momentum;
        this.velocity = new double[this.params.size()][];
    }

    @Override
    public void step() {
        double lr = schedule.at(steps);
        for (int k = 0; k < params.size(); k++) {
            Var p = params.get(k);
            Storage g = p.grad(), data = p.data();
            if (g == null) {
                continue;
            }
            if (momentum == 0) {
                data.axpy(0, -lr, g, 0, g.size());
                continue;
            }
            boolean first = velocity[k] == null;
            if (first) {
                velocity[k] = new double[p.size()];
            }
            double[] v = velocity[k];
            for (int i = 0; i < v.length; i++) {
                v[i] = first ? g.get(i) : momentum * v[i] + g.get(i);
                data.set(i, data.get(i) - lr * v[i]);
            }
        }
        steps++;
    }

    @Override public int steps() { return steps; }
    @Override public List<Var> params() { return params; }
    @Override public double learningRate() { return schedule.at(steps); }
}
