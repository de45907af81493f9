package io.jsteer.model.intervene;

import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;

/**
 * The trainable-path counterpart of {@link ActivationHook}: called by
 * {@code io.jsteer.model.train.TrainableLlama} with the activations of a whole sequence at one
 * site, it returns the (possibly edited) activations as a graph value, so that whatever it does
 * is differentiated. Returning {@code x} itself leaves the site unchanged (capture).
 */
@FunctionalInterface
public interface TapeHook {

    /**
     * @param tape         the tape of the forward pass
     * @param site         where in the model
     * @param x            the activations {@code [T, dim]}, row t at position t
     * @param promptLength rows {@code 0 .. promptLength-1} count as prompt, later rows as generated
     * @return the activations to continue with, {@code [T, dim]}
     */
    Var apply(Tape tape, Site site, Var x, int promptLength);
}
