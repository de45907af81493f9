package io.jsteer.steering.eval;

import io.jsteer.steering.data.AbItem;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * The A/B behaviour score of CAA: run the prompt, read the logits of the two answer-letter tokens
 * at the last position, and report the probability of the matching letter normalised over the
 * two letters, p = exp(z_m) / (exp(z_m) + exp(z_n)) = sigmoid(z_m − z_n), and the logit
 * difference z_m − z_n; both averaged over a dataset.
 *
 * <p><b>Which token is "the letter".</b> It comes from the model's tokenizer: the letter's token
 * is the one token that {@code encode(prompt + letter)} has beyond {@code encode(prompt)} (BOS
 * added to both). So after {@code "Answer: ("} a SentencePiece vocabulary gives the bare piece
 * {@code A} and after a prompt ending in a letter-less word it would give {@code ▁A}; a byte-level
 * BPE gives {@code A} or {@code ĠA} likewise. When the tokenizer merges the letter into the
 * prompt's last token (the two encodings share no prefix of the prompt's length), the item is
 * rejected with a message: end the prompt with a separator such as {@code (}.
 *
 * <p>Runs under whatever hooks the engine has.
 */
public final class AbBehaviourScore {

    private final InferenceEngine engine;
    private final Tokenizer tokenizer;

    public AbBehaviourScore(InferenceEngine engine, Tokenizer tokenizer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
    }

    public ItemScore score(AbItem item) {
        int[] prompt = tokenizer.encode(item.question(), true);
        if (prompt.length > engine.capacity()) {
            throw new IllegalArgumentException("A/B prompt has " + prompt.length + " tokens, the engine's context "
                    + engine.capacity());
        }
        int m = letterToken(item.question(), prompt, item.matching());
        int n = letterToken(item.question(), prompt, item.notMatching());
        float[] logits = engine.prefill(prompt, 0);
        double diff = (double) logits[m] - logits[n];
        return new ItemScore(sigmoid(diff), diff, m, n);
    }

    public AbResult score(List<AbItem> items) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("the A/B score needs at least one item");
        }
        double p = 0, d = 0;
        for (AbItem item : items) {
            ItemScore s = score(item);
            p += s.matchingProbability();
            d += s.logitDifference();
        }
        return new AbResult(p / items.size(), d / items.size(), items.size());
    }

    /** The token the tokenizer appends for {@code letter} typed right after the prompt. */
    public int letterToken(String promptText, int[] promptIds, String letter) {
        int[] with = tokenizer.encode(promptText + letter, true);
        if (with.length != promptIds.length + 1 || !Arrays.equals(with, 0, promptIds.length, promptIds, 0, promptIds.length)) {
            throw new IllegalArgumentException("A/B prompt ending '" + tail(promptText) + "': the tokenizer does not encode the letter '"
                    + letter + "' as one token after the prompt (it merges with the prompt's end or splits);"
                    + " end the prompt with a separator such as '(' and give the letter without spaces");
        }
        return with[promptIds.length];
    }

    private static String tail(String s) {
        return s.length() <= 20 ? s : "..." + s.substring(s.length() - 20);
    }

    /** Numerically safe logistic function. */
    static double sigmoid(double x) {
        return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    }

    /**
     * @param matchingProbability p(matching) normalised over the two letters
     * @param logitDifference     logit(matching) − logit(not matching)
     * @param matchingToken       the matching letter's token id
     * @param notMatchingToken    the other letter's token id
     */
    public record ItemScore(double matchingProbability, double logitDifference, int matchingToken, int notMatchingToken) {}

    /**
     * @param meanMatchingProbability mean over items of p(matching)
     * @param meanLogitDifference     mean over items of the logit difference
     * @param items                   items scored
     */
    public record AbResult(double meanMatchingProbability, double meanLogitDifference, int items) {}
}
