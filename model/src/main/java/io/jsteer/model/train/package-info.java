/**
 * The trainable path: {@link io.jsteer.model.train.TrainableLlama} runs the Llama forward pass
 * over a whole sequence on an autograd tape (frozen base weights, gradients only for the
 * parameters that interventions or adapters bring in), {@link io.jsteer.model.train.BatchLoss}
 * averages a {@link io.jsteer.model.train.SequenceLoss} over the real tokens of a
 * {@link io.jsteer.model.train.SequenceBatch}, and {@link io.jsteer.model.train.Losses} has the
 * next-token cross-entropy and the KL divergence to a reference pass. See model/README.md.
 */
package io.jsteer.model.train;
