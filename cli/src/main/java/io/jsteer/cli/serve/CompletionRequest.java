package io.jsteer.cli.serve;

import io.jsteer.model.chat.Message;
import java.util.List;

/**
 * A validated completion request: either a chat ({@code messages}) or a plain prompt.
 *
 * @param steering the jsteer extension field {@code steering}; null = the server's default steering
 * @param mat      the jsteer extension field {@code mat}: apply the server's MAT-Steer module (true/false);
 *                 null = the server's default (on when it was started with {@code --mat})
 */
public record CompletionRequest(boolean chat, List<Message> messages, String prompt, int maxTokens,
                                float temperature, float topP, Long seed, List<String> stop, boolean stream,
                                List<SteerSpec> steering, Boolean mat) {
}
