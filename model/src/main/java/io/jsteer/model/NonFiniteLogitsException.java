package io.jsteer.model;

/**
 * Generation stopped because the logits stopped being finite: sampling from NaN or infinite
 * logits yields garbage tokens (" ⁇  ⁇ ...") that look like output. The usual causes are
 * damaged weights the load-time sample did not see, or steering too strong for the model.
 */
public final class NonFiniteLogitsException extends IllegalStateException {

    private final int position;

    public NonFiniteLogitsException(int position, int tokenId, float value) {
        super("the model's logits became non-finite at position " + position + " (token " + tokenId + " is " + value
                + "): damaged weights or steering too strong for this model; generation stopped");
        this.position = position;
    }

    public int position() {
        return position;
    }
}
