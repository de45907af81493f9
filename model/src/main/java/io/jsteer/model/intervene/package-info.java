/**
 * Intervention sites and kinds. A {@link io.jsteer.model.intervene.Site} names a point of a block
 * ({@code resid_pre, attn_heads, attn_out, mlp_out, resid_post}, 0-based layer); an
 * {@link io.jsteer.model.intervene.Intervention} ({@link io.jsteer.model.intervene.AddVector},
 * {@link io.jsteer.model.intervene.Ablate}, {@link io.jsteer.model.intervene.GatedEdit},
 * {@link io.jsteer.model.intervene.HostEdit}) edits the activations there; an ordered
 * {@link io.jsteer.model.intervene.InterventionSet} is what an engine's {@code setInterventions}
 * takes (the one steering door) and compiles to inference {@link io.jsteer.model.intervene.Hooks}
 * and to trainable {@link io.jsteer.model.intervene.TapeHooks} ({@code ForwardOptions.withHooks})
 * that compute the same function. Hooks given to {@code setHooks} only observe; at a site they run
 * after the interventions and see the edited activation.
 *
 * <p>Token semantics (which positions are steered). Inference path: {@code prefill} and
 * {@code forward(token, pos, true)} process prompt tokens; the generation loop feeds every sampled
 * token back with {@code forward(token, pos, false)}, a generated token. A {@code PROMPT} edit thus
 * acts on the prompt's activations (and through their cached keys/values on everything after),
 * and a {@code GENERATED} edit on the activations of each fed-back token; the logits that pick
 * the first generated token come from the last prompt token, so a {@code GENERATED} edit reaches
 * the second generated token first. With the KV cache nothing is recomputed: an edit applies to
 * a token once, when it is processed. Trainable path: a sequence is all prompt unless
 * {@code ForwardOptions.withPromptLength(n)} makes rows from n on generated, which reproduces
 * an inference run that prefilled n tokens and then fed the rest one at a time.
 * {@link io.jsteer.model.intervene.Ablate} and {@link io.jsteer.model.intervene.GatedEdit} act at
 * every position.
 */
package io.jsteer.model.intervene;
