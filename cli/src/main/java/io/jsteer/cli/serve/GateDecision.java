package io.jsteer.cli.serve;

/**
 * What a prompt gate decided for one request.
 *
 * @param score     the gate's score for the prompt (a probe's P(flagged))
 * @param threshold steering is applied when {@code score > threshold}
 * @param steer     whether the request's steering was applied
 */
public record GateDecision(double score, double threshold, boolean steer) {

    /** One line for stderr. */
    public String describe() {
        return String.format("gate: score %.4f, threshold %.4f -> %s", score, threshold, steer ? "steer" : "no steering");
    }
}
