package io.jsteer.model;

/**
 * What a generation produced and how fast.
 *
 * @param tokens        prompt tokens followed by generated ones
 * @param promptLength  how many of {@code tokens} were the prompt
 * @param prefillNanos  time spent on the prompt
 * @param decodeNanos   time spent generating
 */
public record GenerationResult(int[] tokens, int promptLength, long prefillNanos, long decodeNanos) {

    public int generatedCount() { return tokens.length - promptLength; }

    public int[] generated() { return java.util.Arrays.copyOfRange(tokens, promptLength, tokens.length); }

    /** Generated tokens per second (0 when none were generated). */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : generatedCount() * 1e9 / decodeNanos;
    }

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptLength * 1e9 / prefillNanos;
    }
}
