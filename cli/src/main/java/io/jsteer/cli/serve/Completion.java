package io.jsteer.cli.serve;

/**
 * What one request produced.
 *
 * @param finishReason {@code stop} (a stop token or string) or {@code length} (max tokens or the context end)
 */
public record Completion(String text, String finishReason, int promptTokens, int completionTokens) {
}
