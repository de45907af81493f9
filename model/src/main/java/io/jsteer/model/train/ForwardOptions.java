package io.jsteer.model.train;

import io.jsteer.model.intervene.TapeHooks;
import io.jsteer.model.lora.LoraAdapter;

/**
 * What a trainable forward pass adds to the plain model.
 *
 * @param hooks        edits and captures at sites (interventions compile to these), or null
 * @param adapter      a LoRA adapter on the block projections, or null
 * @param promptLength rows {@code 0 .. promptLength-1} of the sequence count as prompt and later
 *                     rows as generated, for interventions limited to prompt or generated
 *                     positions; {@link #ALL_PROMPT} (the default) makes the whole sequence prompt
 * @param dropoutSeed  non-null marks a training pass: the adapter's LoRA dropout is applied with
 *                     masks drawn from this seed ({@link LoraAdapter#maskSeed}); null (evaluation,
 *                     the default) applies none
 * @param recompute    run every block under {@link io.jsteer.tensor.autograd.Tape#checkpoint}: the
 *                     tape keeps only each block's input and output and recomputes the block in
 *                     the backward pass (less memory, one more forward of each block). Hooks then
 *                     run twice per block and must do the same both times; activations a hook
 *                     hands out (captures) are the first run's and get no gradient, so losses on
 *                     captured activations need {@code recompute} off
 */
public record ForwardOptions(TapeHooks hooks, LoraAdapter adapter, int promptLength, Long dropoutSeed, boolean recompute) {

    /** promptLength meaning "every row is prompt". */
    public static final int ALL_PROMPT = Integer.MAX_VALUE;

    /** The plain model. */
    public static final ForwardOptions NONE = new ForwardOptions(null, null, ALL_PROMPT, null, false);

    public ForwardOptions {
        if (promptLength < 0) {
            throw new IllegalArgumentException("promptLength must be 0 or more, got " + promptLength);
        }
        if (hooks != null && hooks.isEmpty()) {
            hooks = null;
        }
    }

    /** Hooks, adapter and prompt length; an evaluation pass without recomputation. */
    public ForwardOptions(TapeHooks hooks, LoraAdapter adapter, int promptLength) {
        this(hooks, adapter, promptLength, null, false);
    }

    public ForwardOptions withHooks(TapeHooks hooks) { return new ForwardOptions(hooks, adapter, promptLength, dropoutSeed, recompute); }

    public ForwardOptions withAdapter(LoraAdapter adapter) { return new ForwardOptions(hooks, adapter, promptLength, dropoutSeed, recompute); }

    /** Rows from {@code promptLength} on count as generated tokens. */
    public ForwardOptions withPromptLength(int promptLength) {
        return new ForwardOptions(hooks, adapter, promptLength, dropoutSeed, recompute);
    }

    /** A training pass whose LoRA dropout masks come from {@code seed}. */
    public ForwardOptions withDropoutSeed(long seed) { return new ForwardOptions(hooks, adapter, promptLength, seed, recompute); }

    /** Blocks recomputed in the backward pass instead of kept (see {@link #recompute}). */
    public ForwardOptions withRecompute(boolean on) { return new ForwardOptions(hooks, adapter, promptLength, dropoutSeed, on); }
}
