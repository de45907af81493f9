package io.jsteer.tensor.autograd;

/**
 * One recorded op: it knows its output and how to push the output's gradient back into the
 * gradients of the inputs that need one (accumulating, never overwriting).
 */
interface Node {
    Var output();

    /** Called once, after {@code output().grad()} is complete; only when it is non-null. */
    void backward();
}
