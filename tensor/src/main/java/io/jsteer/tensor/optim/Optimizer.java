package io.jsteer.tensor.optim;

import io.jsteer.tensor.autograd.Var;

import java.util.List;

/**
 * Updates parameters in place from their accumulated gradients. A parameter whose gradient
 * is still null (nothing flowed into it) is left alone. {@link #step()} does not zero the
 * gradients: call {@link #zeroGrad()} before the next accumulation.
 */
public interface Optimizer {

    /** One update with the learning rate of the current step, then the step count advances. */
    void step();

    /** Number of steps taken so far. */
    int steps();

    List<Var> params();

    /** The learning rate the next {@link #step()} will use. */
    double learningRate();

    default void zeroGrad() {
        for (Var p : params()) {
            p.zeroGrad();
        }
    }
}
