package io.jsteer.model.chat;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.weights.InputFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Jinja chat template a model ships, and where it was found: the GGUF metadata key
 * {@code tokenizer.chat_template}, or beside a Hugging Face model a {@code chat_template.jinja}
 * file or the {@code chat_template} field of {@code tokenizer_config.json} (a string, or a list of
 * named templates of which "default" is used).
 *
 * @param source the Jinja text
 * @param origin the file and key it came from, for messages
 */
public record ModelChatTemplate(String source, String origin) {
    public static final String GGUF_KEY = "tokenizer.chat_template";
    /** Real templates are a few kilobytes; the biggest published ones stay under 100 KB. */
    static final long MAX_TEMPLATE_BYTES = 1L << 20;

    public ModelChatTemplate {
        if (source.isBlank()) {
            throw new ChatTemplateException(origin, "the template is empty");
        }
    }

    /** The template in a GGUF file's metadata, if it has one. */
    public static Optional<ModelChatTemplate> fromGguf(Path file, Map<String, Object> metadata) {
        Object value = metadata.get(GGUF_KEY);
        if (value == null) {
            return Optional.empty();
        }
        String origin = file + " (" + GGUF_KEY + ")";
        if (!(value instanceof String text)) {
            throw new ChatTemplateException(origin, "expected a string, found " + value.getClass().getSimpleName());
        }
        return Optional.of(new ModelChatTemplate(text, origin));
    }

    /** The template beside a Hugging Face model or tokenizer in {@code dir}, if there is one. */
    public static Optional<ModelChatTemplate> fromHuggingFace(Path dir) {
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            return Optional.of(new ModelChatTemplate(InputFiles.readText("chat template", jinja, MAX_TEMPLATE_BYTES), jinja.toString()));
        }
        Path config = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return Optional.empty();
        }
        String origin = config + " (chat_template)";
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(InputFiles.readText("tokenizer config", config, InputFiles.TEXT_LIMIT));
        } catch (JacksonException e) {
            throw new ChatTemplateException(origin, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode node = root == null ? null : root.get("chat_template");
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(new ModelChatTemplate(node.asText(), origin));
        }
        if (node.isArray()) {
            List<String> names = new ArrayList<>();
            for (JsonNode named : node) {
                names.add(named.path("name").asText("?"));
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return Optional.of(new ModelChatTemplate(named.path("template").asText(), config + " (chat_template 'default')"));
                }
            }
            throw new ChatTemplateException(origin, "a list of named templates without one named 'default' (names: " + names + ")");
        }
        throw new ChatTemplateException(origin, "expected a string or a list of {name, template}, found " + node.getNodeType());
    }

    /**
     * The template of a model: in its GGUF metadata, else beside the tokenizer file given with
     * {@code --tokenizer}, else beside the model (in its directory).
     *
     * @param modelPath     the model file or directory
     * @param metadata      the model file's metadata (GGUF keys; empty for other formats)
     * @param tokenizerFile an explicitly given tokenizer file, or null
     */
    public static Optional<ModelChatTemplate> find(Path modelPath, Map<String, Object> metadata, Path tokenizerFile) {
        Optional<ModelChatTemplate> gguf = fromGguf(modelPath, metadata);
        if (gguf.isPresent()) {
            return gguf;
        }
        if (tokenizerFile != null) {
            Path dir = tokenizerFile.toAbsolutePath().getParent();
            Optional<ModelChatTemplate> beside = dir == null ? Optional.empty() : fromHuggingFace(dir);
            if (beside.isPresent()) {
                return beside;
            }
        }
        Path dir = Files.isDirectory(modelPath) ? modelPath : modelPath.toAbsolutePath().getParent();
        return dir == null ? Optional.empty() : fromHuggingFace(dir);
    }
}
