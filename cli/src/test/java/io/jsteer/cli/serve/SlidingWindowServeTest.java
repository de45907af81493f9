package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A second completion of one prompt resumes the prompt's KV cache. With a sliding window the cache
 * is a ring (window 8 + a prefill batch of 32 = 40 rows here) that the first completion's tokens
 * have gone around, so the second must start again from position 0 (the engine's reusable says
 * so): greedy, both give the same text. (Resuming anyway read overwritten keys, silently.)
 */
class SlidingWindowServeTest {

    private static final Path MODELS = Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve("models");

    @Test
    void secondChoiceAfterTheRingWrappedEqualsTheFirst() throws Exception {
        try (LoadedModel plain = ModelLoader.load(MODELS.resolve("stories260K.gguf"), null)) {
            LlamaConfig c = plain.config();
            LoadedModel windowed = new LoadedModel(plain.file(), c.withFamily(c.family(), c.headSize(), 8), plain.weights(),
                    plain.tokenizer());
            try (GenerationService service = new GenerationService(windowed, ChatTemplate.forTokenizer(windowed.tokenizer(), null),
                    SteeringResolver.none(), List.of(), 1, 1, 256)) {
                CompletionRequest r = new RequestParser(new ObjectMapper(), service.modelName(), 8)
                        .parse("{\"prompt\": \"Once upon a time\", \"max_tokens\": 80, \"temperature\": 0, \"n\": 2}", false);
                int[] prompt = service.promptTokens(r);
                List<Completion> out = service.complete(r, prompt, null, (i, text, logprobs) -> true);
                assertEquals(2, out.size());
                assertTrue(out.get(0).completionTokens() >= 40, "the first choice goes around the ring: " + out.get(0).completionTokens());
                assertEquals(out.get(0).text(), out.get(1).text());
                assertEquals(out.get(0).completionTokens(), out.get(1).completionTokens());
            }
        }
    }
}
