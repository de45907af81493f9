package io.jsteer.tensor.autograd;

/**
 * Activation recomputation ("gradient checkpointing") of one segment of a graph, e.g. a
 * transformer block. Forward: the segment runs on a fresh inner tape, its output is kept and its
 * inner ops and intermediate tensors are dropped at once; the outer tape records only this node,
 * which holds the segment's input and output. Backward: the segment runs again on a new inner
 * tape from the same input, and the output's gradient is backpropagated through that recording.
 * Gradients reach the input and every trainable {@link Var} the segment uses (parameters, and
 * results of earlier ops on the outer tape: their nodes come before this one, so they run after
 * it in the backward pass and see the complete gradient).
 *
 * <p>Memory goes from "every intermediate tensor of every segment" to "the segments' inputs and
 * outputs plus one segment's intermediates at a time", for one extra forward pass of each segment.
 * The segment must compute the same function both times (dropout masks from fixed seeds, hooks
 * without hidden state); tensors it hands out otherwise than through its output (a capture) are
 * the first pass's and get no gradient.
 */
final class Checkpoint implements Node {

    private final Tape tape;
    private final Var x, out;
    private final Tape.Segment segment;

    private Checkpoint(Tape tape, Var x, Var out, Tape.Segment segment) {
        this.tape = tape;
        this.x = x;
        this.out = out;
        this.segment = segment;
    }

    static Var apply(Tape tape, Var x, Tape.Segment segment) {
        if (!tape.isRecording()) {
            return segment.apply(tape, x); // nothing will be backpropagated: no reason to save anything
        }
        Tape inner = tape.inner();
        Var y = run(inner, x, segment);
        // the first pass records only to learn whether the output depends on anything trainable
        boolean needsGrad = y.requiresGrad();
        inner.clear();
        Var out = new Var(y.shape(), y.data(), needsGrad);
        if (needsGrad) {
            tape.record(new Checkpoint(tape, x, out, segment));
        }
        return out;
    }

    /** The segment on {@code inner} from a fresh leaf that shares x's values (no copy). */
    private static Var run(Tape inner, Var x, Tape.Segment segment) {
        Var in = new Var(x.shape(), x.data(), x.requiresGrad());
        Var y = segment.apply(inner, in);
        if (y.precision() != inner.precision()) {
            throw new IllegalStateException("a checkpointed segment returned " + y + " on a " + inner.precision() + " tape");
        }
        return y;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Tape inner = tape.inner();
        Var in = new Var(x.shape(), x.data(), x.requiresGrad());
        Var y = segment.apply(inner, in);
        if (!y.requiresGrad() || y.size() != out.size()) {
            inner.clear();
            throw new IllegalStateException("a checkpointed segment gave " + y + " on recomputation, " + out
                    + " the first time: it must compute the same function both times");
        }
        inner.backward(y, out.grad());
        if (x.requiresGrad() && in.grad() != null) {
            x.gradForAccumulation().axpy(0, 1, in.grad(), 0, x.size());
        }
    }
}
