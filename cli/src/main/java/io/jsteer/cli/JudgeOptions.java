package io.jsteer.cli;

import io.jsteer.steering.kts.experiments.JudgeClient;
import java.time.Duration;
import picocli.CommandLine.Option;

/** A judge model behind an OpenAI-compatible endpoint: shared by the KTS experiments and {@code mat generate-eval}. */
final class JudgeOptions {

    @Option(names = "--judge", paramLabel = "URL", description = "OpenAI-compatible chat endpoint of a judge model (e.g. "
            + "http://localhost:8080 for 'jsteer serve'); the key, if any, is read from $JSTEER_JUDGE_API_KEY")
    String judge;
    @Option(names = "--judge-model", defaultValue = "judge", description = "the judge request's model field (default: ${DEFAULT-VALUE})")
    String judgeModel;
    @Option(names = "--judge-timeout", defaultValue = "120", description = "seconds to wait for one judge reply (default: ${DEFAULT-VALUE})")
    int judgeTimeout;
    @Option(names = "--judge-retries", defaultValue = "2", description = "further attempts after a judge timeout, refused "
            + "connection or HTTP 408/429/5xx, pausing 1 s, 2 s, ... (default: ${DEFAULT-VALUE})")
    int judgeRetries;
    @Option(names = "--judge-max-tokens", defaultValue = "" + JudgeClient.DEFAULT_MAX_TOKENS, description = "max_tokens of each "
            + "judge request: room for its explanation and verdict (default: ${DEFAULT-VALUE})")
    int judgeMaxTokens;

    /** The client, or null without --judge. */
    JudgeClient judge() {
        if (judge == null) {
            return null;
        }
        if (judgeTimeout < 1) {
            throw new UsageException("--judge-timeout must be at least 1 second, got " + judgeTimeout);
        }
        try {
            return new JudgeClient(judge, judgeModel, Duration.ofSeconds(judgeTimeout), System.getenv("JSTEER_JUDGE_API_KEY"),
                    judgeRetries, 1000, judgeMaxTokens);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
