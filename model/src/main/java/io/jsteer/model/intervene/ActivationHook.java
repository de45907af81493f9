package io.jsteer.model.intervene;

/**
 * Called by an engine with the activation of one token at one site; may read it (capture) or
 * edit it in place (steering). {@code x} holds at least {@code dim} values of that token only.
 */
@FunctionalInterface
public interface ActivationHook {

    /**
     * @param site     where in the model
     * @param position the token's 0-based position in the sequence
     * @param inPrompt true while the prompt is processed (prefill), false for generated tokens
     * @param x        the activation, edited in place
     */
    void apply(Site site, int position, boolean inPrompt, float[] x);
}
