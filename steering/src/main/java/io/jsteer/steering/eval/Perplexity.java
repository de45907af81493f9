package io.jsteer.steering.eval;

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
        int vocab = engine.config().vocabSize();
        double nll = 0;
        int predicted = 0;
        for (int t = 0; t < texts.size(); t++) {
            int[] tokens = texts.get(t);
            if (tokens.length < 2 || tokens.length > engine.capacity()) {
                throw new IllegalArgumentException("perplexity text " + t + " has " + tokens.length
                        + " tokens; it needs 2 to " + engine.capacity() + " (the engine's context)");
            }
            for (int pos = 0; pos + 1 < tokens.length; pos++) {
                float[] logits = engine.forward(tokens[pos], pos, true);
                nll -= LogSoftmax.of(logits, vocab)[tokens[pos + 1]];
                predicted++;
            }
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
