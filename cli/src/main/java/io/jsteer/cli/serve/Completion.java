package io.jsteer.cli.serve;

import io.jsteer.model.Sampler;
import java.util.List;

/**
 * What one choice of a request produced.
 *
 * @param index        the choice's index (0 .. n−1)
 * @param finishReason {@code stop} (a stop token or string) or {@code length} (max tokens or the context end)
 * @param logprobs     each generated token's log-probabilities when the request asked for them, else null
 * @param gate         the prompt gate's decision when the server has a gate and the request asked for steering, else null
 */
public record Completion(int index, String text, String finishReason, int promptTokens, int completionTokens,
                         List<Sampler.TokenLogprob> logprobs, GateDecision gate) {

    public Completion(String text, String finishReason, int promptTokens, int completionTokens) {
        this(0, text, finishReason, promptTokens, completionTokens, null, null);
    }
}
