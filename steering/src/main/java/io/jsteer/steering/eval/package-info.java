/**
 * Evaluation metrics for steering.
 *
 * <ul>
 * <li>{@link io.jsteer.steering.eval.AbBehaviourScore}: CAA A/B score (p of the matching letter
 *     over the two letters, logit difference), letter tokens from the model's tokenizer;</li>
 * <li>{@link io.jsteer.steering.eval.AfinnSentiment} with {@link io.jsteer.steering.eval.AfinnLexicon}:
 *     lexicon sentiment of open generations (sum per text, mean per word);</li>
 * <li>{@link io.jsteer.steering.eval.RefusalPhrases}: share of texts with a refusal phrase;</li>
 * <li>{@link io.jsteer.steering.eval.NextTokenKl}: mean per-position KL(p_base ‖ p_steered) on
 *     benign prompts, nats;</li>
 * <li>{@link io.jsteer.steering.eval.Perplexity}: exp of the mean next-token NLL on held-out text;</li>
 * <li>{@link io.jsteer.steering.eval.Degeneration}: distinct-1/2/3, the looping tail, Deflate
 *     compression ratio.</li>
 * </ul>
 *
 * Metrics that run the model take an {@link io.jsteer.model.InferenceEngine} and measure it under
 * whatever steering it has ({@code engine.setInterventions(set)}, the one steering door);
 * {@code NextTokenKl} sets and clears the steering itself because it compares against the
 * unsteered model.
 */
package io.jsteer.steering.eval;
