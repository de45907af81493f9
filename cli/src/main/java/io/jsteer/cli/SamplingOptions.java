package io.jsteer.cli;

import io.jsteer.weights.InputFiles;
import io.jsteer.model.Sampler;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Generation flags shared by run and chat; the short names are llama.cpp's for the same settings. */
final class SamplingOptions {

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "256", description = "new tokens at most (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = {"--temperature", "--temp"}, paramLabel = "X", defaultValue = "1.0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-p", paramLabel = "X", defaultValue = "0.9", description = "nucleus sampling mass, 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = {"-s", "--seed"}, paramLabel = "N", description = "random seed (default: from the clock; printed on stderr)")
    Long seed;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096",
            description = "KV-cache positions, capped at the model's context length (default: ${DEFAULT-VALUE})")
    int ctxSize;

    long seedOrClock() {
        return seed != null ? seed : System.nanoTime();
    }

    Sampler sampler(long seedValue) {
        if (maxTokens < 0) {
            throw new UsageException("--max-tokens must be 0 or more, got " + maxTokens);
        }
        if (ctxSize < 1) {
            throw new UsageException("--ctx-size must be at least 1, got " + ctxSize);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new UsageException("--temperature must be 0 or more, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new UsageException("--top-p must be in (0, 1], got " + topP);
        }
        return new Sampler(temperature, topP, seedValue);
    }

    static String readPrompt(String prompt, Path promptFile) throws IOException {
        if (prompt != null && promptFile != null) {
            throw new UsageException("give --prompt or --prompt-file, not both");
        }
        if (promptFile != null) {
            return InputFiles.readText("--prompt-file", promptFile, InputFiles.TEXT_LIMIT);
        }
        return prompt == null ? "" : prompt;
    }
}
