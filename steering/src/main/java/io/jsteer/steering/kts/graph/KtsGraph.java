package io.jsteer.steering.kts.graph;

import io.jsteer.model.LlamaConfig;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;

/** What the KTS loop needs of a trainable model: a tape forward with the adapter on or off, steered or not. */
public interface KtsGraph {

    LlamaConfig config();

    /**
     * Next-token logits {@code [T, vocab]} of {@code tokens} (row t at position t).
     *
     * @param steering    added at resid_post of the steered blocks at every position (null: none)
     * @param withAdapter false gives the original model p₀
     */
    Var logits(Tape tape, int[] tokens, BlockSteering steering, boolean withAdapter);

    /**
     * resid_post of blocks {@code 0 … blocks−1}, each {@code [T, dim]}, of the unsteered model (adapter
     * on or off); the blocks after them, the final norm and the classifier are not run.
     */
    Var[] residuals(Tape tape, int[] tokens, boolean withAdapter, int blocks);

    /**
     * resid_post of every block at the last token, {@code [nLayers][dim]}, from the tape forward under
     * no-grad (adapter on or off): the current trainable model, read as
     * {@link ActivationCapture#residuals} reads an engine. {@code parallel} splits the tape's large
     * ops (null: serial).
     */
    default ActivationCapture.LastToken lastTokenResiduals(boolean withAdapter, Parallel parallel) {
        return tokens -> {
            int layers = config().nLayers(), dim = config().dim();
            Tape tape = new Tape(Precision.F32, parallel);
            Var[] capture;
            try (NoGrad _ = tape.noGrad()) {
                capture = residuals(tape, tokens, withAdapter, layers); // each [T, dim]
            }
            float[][] out = new float[layers][dim];
            int last = (tokens.length - 1) * dim;
            for (int l = 0; l < layers; l++) {
                for (int i = 0; i < dim; i++) {
                    out[l][i] = (float) capture[l].get(last + i);
                }
            }
            return out;
        };
    }

    /**
     * Logits of a training pass of the adapted model: like {@code logits(tape, tokens, steering, true, null)},
     * with the adapter's LoRA dropout drawn from {@code dropoutSeed} and, when {@code recompute}, every
     * block recomputed in the backward pass instead of kept on the tape.
     */
    Var trainingLogits(Tape tape, int[] tokens, BlockSteering steering, long dropoutSeed, boolean recompute);

    /** The LoRA adapter that {@code withAdapter} switches on. */
    io.jsteer.model.lora.LoraAdapter adapter();

    /** The trainable parameters (the adapter's). */
    List<Var> parameters();
}
