package io.jsteer.model;

import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.lora.LoraAdapter;

/**
 * The inference path: tokens go in one position at a time (or a prompt in a batch), keys and
 * values are kept in a cache, and next-token logits come out. Implementations: {@link CpuEngine}
 * here, the TornadoVM engine in tornado-kernels.
 */
public interface InferenceEngine extends AutoCloseable {

    LlamaConfig config();

    /** Positions this engine can hold (its context; with a sliding window its KV cache may keep fewer, see {@link KvRing}). */
    int capacity();

    /**
     * How many of the {@code prefix} leading positions now in the KV cache a sequence that
     * continues at position {@code prefix} can keep: {@code prefix}, or 0 when a sliding-window
     * ring cache has since overwritten keys that position reads (then the sequence must start
     * again at 0; running it at {@code prefix} anyway fails). Callers that resume a cached prefix
     * (a chat's next turn, a prompt's second completion) ask here first.
     */
    default int reusable(int prefix) { return prefix; }

    /**
     * Runs one token at {@code position} (all earlier positions must already be in the cache)
     * and returns the logits for the next token; the array is reused by the next call.
     */
    float[] forward(int token, int position, boolean inPrompt);

    /**
     * Runs a prompt chunk at positions {@code start .. start + tokens.length - 1} in one batch and
     * returns the logits after the last of them; the array is reused by the next call.
     */
    float[] prefill(int[] tokens, int start);

    /** Receives the next-token logits after one position; the array is valid only during the call. */
    @FunctionalInterface
    interface PositionLogits {
        void accept(int position, float[] logits);
    }

    /**
     * The scorers' walk over a text: runs {@code tokens[from …]} one at a time at their own positions
     * (positions before {@code from} must already be in the cache) and hands each position's
     * next-token logits to {@code each}, so that no scorer keeps {@code [T, vocab]} logits.
     */
    default void scorePositions(int[] tokens, int from, PositionLogits each) {
        for (int pos = from; pos < tokens.length; pos++) {
            each.accept(pos, forward(tokens[pos], pos, true));
        }
    }

    /** Hooks for capture and steering from now on; {@code null} or empty removes them. */
    void setHooks(Hooks hooks);

    /**
     * Steering from now on, as intervention objects; {@code null} or empty removes it. Engines with
     * kernels for the kinds run them natively (the GPU engine); the default compiles the set to
     * {@link Hooks}, which is what the CPU engine runs anyway. Replaces any hooks set before.
     */
    default void setInterventions(InterventionSet interventions) {
        setHooks(interventions == null || interventions.isEmpty() ? null : interventions.toHooks(config()));
    }

    /**
     * A LoRA adapter on the frozen projections from now on ({@code y += s·B(A x)}), or {@code null}
     * for none. An engine that cannot apply some of the adapter's targets must refuse it here,
     * naming them, rather than run without them.
     */
    void setAdapter(LoraAdapter adapter);

    @Override
    void close();
}
