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
 */
public record ForwardOptions(TapeHooks hooks, LoraAdapter adapter, int promptLength) {

    /** promptLength meaning "every row is prompt". */
    public static final int ALL_PROMPT = Integer.MAX_VALUE;

    /** The plain model. */
    public static final ForwardOptions NONE = new ForwardOptions(null, null, ALL_PROMPT);

    public ForwardOptions {
        if (promptLength < 0) {
            throw new IllegalArgumentException("promptLength must be 0 or more, got " + promptLength);
        }
        if (hooks != null && hooks.isEmpty()) {
            hooks = null;
        }
    }

    public ForwardOptions withHooks(TapeHooks hooks) { return new ForwardOptions(hooks, adapter, promptLength); }

    public ForwardOptions withAdapter(LoraAdapter adapter) { return new ForwardOptions(hooks, adapter, promptLength); }

    /** Rows from {@code promptLength} on count as generated tokens. */
    public ForwardOptions withPromptLength(int promptLength) { return new ForwardOptions(hooks, adapter, promptLength); }
}
