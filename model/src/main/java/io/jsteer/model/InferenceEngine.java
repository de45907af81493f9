package io.jsteer.model;

import io.jsteer.model.intervene.GateListener;
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

    /**
     * Observers from now on: hooks that read activations at their sites (capture, logit lens, counts)
     * and leave them unchanged; {@code null} or empty removes them. They neither replace nor are
     * replaced by {@link #setInterventions}: at a site with both, the interventions run first and the
     * observers see the edited activation. An observer must not write to its array (steering that
     * does is an intervention); with assertions on, an edit is an AssertionError
     * ({@link Hooks#steerThenObserve}). An engine that must move activations to run Java code (the GPU
     * engine) does so only at observed sites.
     */
    void setHooks(Hooks observers);

    /**
     * Steering from now on, as intervention objects: the one way to steer on every engine; {@code null}
     * or empty removes it and leaves the observers. Engines with kernels for the kinds run them
     * natively (the GPU engine); the CPU engine runs their compiled {@link Hooks}.
     */
    default void setInterventions(InterventionSet interventions) {
        setInterventions(interventions, null);
    }

    /**
     * {@link #setInterventions(InterventionSet)} with every {@link io.jsteer.model.intervene.GatedEdit}
     * reporting its gates to {@code gates} (null: no report). An engine that computes gates where the
     * host cannot read them runs the set on the host instead, and says so on stderr.
     */
    void setInterventions(InterventionSet interventions, GateListener gates);

    /**
     * A LoRA adapter on the frozen projections from now on ({@code y += s·B(A x)}), or {@code null}
     * for none. An engine that cannot apply some of the adapter's targets must refuse it here,
     * naming them, rather than run without them.
     */
    void setAdapter(LoraAdapter adapter);

    @Override
    void close();
}
