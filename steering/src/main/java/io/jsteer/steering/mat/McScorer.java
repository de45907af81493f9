package io.jsteer.steering.mat;

import io.jsteer.model.LogProbs;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.mat.tasks.McItem;
import java.util.Arrays;

/**
 * Log-likelihood of multiple-choice answers: log P(answer | "Q: ... A:") = the sum of the
 * answer tokens' log-probabilities, the answer tokens being those of {@code prompt + " " + answer}
 * after its common prefix with the prompt's tokens. The prompt prefix is prefilled once per
 * item and reused by every choice (the KV cache keeps it; later positions are overwritten).
 * Whatever hooks the engine carries (e.g. MAT-Steer) act on every position.
 */
public final class McScorer {

    private final InferenceEngine engine;
    private final MatPrompts prompts;
    private final int vocab;

    /** Plain prompts (the paper's strings). */
    public McScorer(InferenceEngine engine, Tokenizer tokenizer) {
        this(engine, MatPrompts.plain(tokenizer));
    }

    public McScorer(InferenceEngine engine, MatPrompts prompts) {
        this.engine = engine;
        this.prompts = prompts;
        this.vocab = engine.config().vocabSize();
    }

    /** Whether every choice of the item fits in the engine's context. */
    public boolean fits(McItem item) {
        for (int i = 0; i < item.choices().size(); i++) {
            if (prompts.ids(item, i).length > engine.capacity()) {
                return false;
            }
        }
        return true;
    }

    /** Summed answer-token log-probabilities, one per choice. */
    public double[] logProbs(McItem item) {
        double[] out = new double[item.choices().size()];
        int cached = -1;           // length of the prompt prefix now in the KV cache
        float[] prefixLogits = null; // logits after that prefix
        for (int c = 0; c < out.length; c++) {
            var choice = prompts.choice(item, c);
            int[] full = choice.ids();
            if (full.length > engine.capacity()) {
                throw new IllegalArgumentException(item.task() + " item " + item.id() + ": choice " + c + " has " + full.length
                        + " tokens, over the context of " + engine.capacity());
            }
            int p = choice.answerStart();
            if (p == 0 || p == full.length) {
                throw new IllegalArgumentException(item.task() + " item " + item.id() + ": choice " + c
                        + " has no answer tokens after the prompt");
            }
            if (p != cached || engine.reusable(p) != p) { // a sliding-window ring may have overwritten the prefix
                prefixLogits = engine.prefill(Arrays.copyOf(full, p), 0).clone();
                cached = p;
            }
            double[] sum = {LogProbs.at(prefixLogits, vocab, full[p])};
            // positions p … n−2 predict tokens p+1 … n−1
            engine.scorePositions(Arrays.copyOf(full, full.length - 1), p, (i, logits) -> sum[0] += LogProbs.at(logits, vocab, full[i + 1]));
            out[c] = sum[0];
        }
        return out;
    }

    static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
