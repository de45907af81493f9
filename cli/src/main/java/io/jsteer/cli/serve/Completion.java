package io.jsteer.cli.serve;

/**
 * What one request produced.
 *
 * @param finishReason {@code stop} (a stop token or string) or {@code length} (max tokens or the context end)
 * @param gate         the prompt gate's decision when the server has a gate and the request asked for steering, else null
 */
public record Completion(String text, String finishReason, int promptTokens, int completionTokens, GateDecision gate) {

    public Completion(String text, String finishReason, int promptTokens, int completionTokens) {
        this(text, finishReason, promptTokens, completionTokens, null);
    }
}
