package io.jsteer.steering.eval;

import io.jsteer.model.LogProbs;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.InterventionSet;
import java.util.ArrayList;
import java.util.List;

/**
 * How far steering moves the model on benign text: the mean over every position of every
 * prompt of KL(p_base ‖ p_steered) between the next-token distributions of the unsteered and the
 * steered model, in nats. The unsteered logits are computed once here (a copy of float logits per
 * position: prompts × length × vocab floats) so that a sweep pays one extra forward per cell, not
 * two; the log-softmax and KL are done in double on every call.
 *
 * <p>Each prompt runs from position 0 one token at a time with {@code inPrompt = true}, so a
 * hook that steers "prompt positions only" acts on every position here.
 */
public final class NextTokenKl {

    private final InferenceEngine engine;
    private final List<int[]> prompts;
    /** [prompt][position] → unsteered logits [vocab] after that position's token. */
    private final List<float[][]> baseLogits;

    /**
     * Runs the unsteered model over the prompts. Leaves the engine unsteered.
     *
     * @param prompts token ids (with BOS where the model expects one), each at least one token
     */
    public NextTokenKl(InferenceEngine engine, List<int[]> prompts) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("KL needs at least one benign prompt");
        }
        for (int i = 0; i < prompts.size(); i++) {
            int len = prompts.get(i).length;
            if (len == 0 || len > engine.capacity()) {
                throw new IllegalArgumentException("KL prompt " + i + " has " + len + " tokens; it needs 1 to "
                        + engine.capacity() + " (the engine's context)");
            }
        }
        this.engine = engine;
        this.prompts = List.copyOf(prompts);
        this.baseLogits = new ArrayList<>();
        engine.setInterventions(null);
        for (int[] p : this.prompts) {
            baseLogits.add(logitsAtEveryPosition(p));
        }
    }

    /** KL of the model under {@code steered} (null or empty: the unsteered model) against the unsteered one. Leaves the engine unsteered. */
    public KlResult measure(InterventionSet steered) {
        return of(perPosition(steered));
    }

    /**
     * KL(p_base ‖ p_steered) at every position of every prompt, [prompt][position], nats: what
     * {@link #measure} averages; {@link #of} merges the values of prompts measured apart.
     * Leaves the engine unsteered.
     */
    public List<double[]> perPosition(InterventionSet steered) {
        int vocab = engine.config().vocabSize();
        List<double[]> out = new ArrayList<>(prompts.size());
        engine.setInterventions(steered);
        try {
            for (int i = 0; i < prompts.size(); i++) {
                int[] tokens = prompts.get(i);
                float[][] base = baseLogits.get(i);
                double[] kls = new double[tokens.length];
                engine.scorePositions(tokens, 0,
                        (pos, logits) -> kls[pos] = LogProbs.kl(LogProbs.of(base[pos], vocab), LogProbs.of(logits, vocab)));
                out.add(kls);
            }
        } finally {
            engine.setInterventions(null);
        }
        return out;
    }

    /** Mean and largest KL of per-position values (see {@link #perPosition}), summed in the given order. */
    public static KlResult of(List<double[]> perPrompt) {
        double sum = 0, max = 0;
        int positions = 0;
        for (double[] prompt : perPrompt) {
            for (double kl : prompt) {
                sum += kl;
                max = Math.max(max, kl);
                positions++;
            }
        }
        if (positions == 0) {
            throw new IllegalArgumentException("KL needs at least one position");
        }
        return new KlResult(sum / positions, max, positions);
    }

    private float[][] logitsAtEveryPosition(int[] tokens) {
        float[][] out = new float[tokens.length][];
        engine.scorePositions(tokens, 0, (pos, logits) -> out[pos] = logits.clone());
        return out;
    }

    /**
     * @param mean      mean per-position KL(p_base ‖ p_steered), nats
     * @param max       largest per-position KL, nats
     * @param positions positions averaged over
     */
    public record KlResult(double mean, double max, int positions) {}
}
