package io.jsteer.steering.capture;

/**
 * One prompt to run: its token ids, its class and, optionally, the pair it belongs to and the
 * position to record.
 *
 * @param tokens token ids, BOS included when the model wants one
 * @param label  class index, e.g. 1 = positive / matching / harmful, 0 = negative / not matching / harmless
 * @param group  the contrastive pair (or A/B item) this prompt belongs to, or −1; the two prompts of
 *               a pair share it, so paired methods (PCA of differences) can match them
 * @param at     the position to record in {@link PositionMode#AT} mode, or −1
 */
public record CapturePrompt(int[] tokens, int label, int group, int at) {

    public CapturePrompt {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a capture prompt needs at least one token");
        }
        if (label < 0) {
            throw new IllegalArgumentException("label must be 0 or more, got " + label);
        }
        if (at < -1 || at >= tokens.length) {
            throw new IllegalArgumentException("position " + at + " is outside the prompt of " + tokens.length + " tokens");
        }
        tokens = tokens.clone();
    }

    public static CapturePrompt of(int[] tokens, int label) {
        return new CapturePrompt(tokens, label, -1, -1);
    }

    @Override
    public int[] tokens() { return tokens.clone(); }

    public int length() { return tokens.length; }
}
