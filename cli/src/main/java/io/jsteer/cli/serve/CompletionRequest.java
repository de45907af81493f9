package io.jsteer.cli.serve;

import io.jsteer.model.Sampler;
import io.jsteer.model.chat.Message;
import java.util.List;

/**
 * A validated completion request: either a chat ({@code messages}) or a plain prompt.
 *
 * @param sampling     temperature, top-p/k, min-p, penalties, logit bias and how many log-probabilities to keep
 * @param seed         the first choice's seed (choice i uses a seed derived from it); null = from the clock
 * @param n            how many choices to generate for the prompt
 * @param logprobs     −1 = none; k ≥ 0 = each token's log-probability and its k most probable alternatives
 * @param includeUsage {@code stream_options.include_usage}: a last streamed chunk with the token counts
 * @param steering     the jsteer extension field {@code steering}; null = the server's default steering
 * @param mat          the jsteer extension field {@code mat}: apply the server's MAT-Steer module (true/false);
 *                     null = the server's default (on when it was started with {@code --mat})
 */
public record CompletionRequest(boolean chat, List<Message> messages, String prompt, int maxTokens,
                                Sampler.Params sampling, Long seed, List<String> stop, boolean stream,
                                List<SteerSpec> steering, Boolean mat, int n, int logprobs, boolean includeUsage) {
}
