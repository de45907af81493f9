package io.jsteer.steering.eval;

import io.jsteer.model.LogProbs;
import java.util.Arrays;

import io.jsteer.model.InferenceEngine;
import java.util.List;

/**
 * Perplexity on held-out text: exp of the mean negative log-likelihood of each next token,
 * averaged over all predicted tokens of all texts (token-weighted). Runs under whatever hooks
 * the engine has, so it measures the steered model when the caller set steering hooks.
 */
public final class Perplexity {

    private final InferenceEngine engine;

    public Perplexity(InferenceEngine engine) {
        this.engine = engine;
    }

    /** @param texts token ids, each at least two tokens (the first is only conditioned on) */
    public PerplexityResult measure(List<int[]> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("perplexity needs at least one text");
        }
        List<double[]> perText = new java.util.ArrayList<>(texts.size());
        for (int t = 0; t < texts.size(); t++) {
            perText.add(nll(t, texts.get(t)));
        }
        return of(perText);
    }

    /**
     * The negative log-likelihood of each predicted token of one text [tokens − 1], nats: the
     * part of {@link #measure} that can run anywhere; {@link #of} adds the parts up.
     *
     * @param index the text's index, for the error message
     */
    public double[] nll(int index, int[] tokens) {
        if (tokens.length < 2 || tokens.length > engine.capacity()) {
            throw new IllegalArgumentException("perplexity text " + index + " has " + tokens.length
                    + " tokens; it needs 2 to " + engine.capacity() + " (the engine's context)");
        }
        int vocab = engine.config().vocabSize();
        double[] out = new double[tokens.length - 1];
        engine.scorePositions(Arrays.copyOf(tokens, tokens.length - 1), 0,
                (pos, logits) -> out[pos] = -LogProbs.at(logits, vocab, tokens[pos + 1]));
        return out;
    }

    /** Token-weighted perplexity of texts from their per-token NLLs (see {@link #nll}), summed in the given order. */
    public static PerplexityResult of(List<double[]> perText) {
        double nll = 0;
        int predicted = 0;
        for (double[] text : perText) {
            for (double v : text) {
                nll += v;
                predicted++;
            }
        }
        if (predicted == 0) {
            throw new IllegalArgumentException("perplexity needs at least one predicted token");
        }
        double mean = nll / predicted;
        return new PerplexityResult(mean, Math.exp(mean), predicted);
    }

    /**
     * @param meanNll    mean negative log-likelihood per predicted token, nats
     * @param perplexity exp(meanNll)
     * @param predicted  tokens predicted
     */
    public record PerplexityResult(double meanNll, double perplexity, int predicted) {}
}
