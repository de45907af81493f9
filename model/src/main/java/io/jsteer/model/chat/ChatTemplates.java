package io.jsteer.model.chat;

import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.weights.InputFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Which chat template a model gets. By default the model's own ({@code tokenizer.chat_template}
 * in the GGUF file, or beside a Hugging Face model), rendered with Jinja as transformers and
 * llama.cpp do; the built-in Llama 3, ChatML and Llama 2 formats only for files without one,
 * picked by the vocabulary. {@code --template NAME} forces a built-in one, {@code --template
 * FILE.jinja} a template file, {@code --template model} the model's own (an error if it has none).
 */
public final class ChatTemplates {
    public static final List<String> BUILT_IN = List.of("llama3", "chatml", "llama2");

    private ChatTemplates() {
    }

    /** A template and a line saying which one it is and why, for stderr. */
    public record Choice(ChatTemplate template, String description) {
    }

    /**
     * @param tokenizer the model's tokenizer
     * @param own       the model's own template, if it has one ({@link ModelChatTemplate#find})
     * @param modelName the model file, for the message when it has no template
     * @param requested null or "auto" for the default, "model", a built-in name, or a .jinja file
     */
    public static Choice choose(Tokenizer tokenizer, Optional<ModelChatTemplate> own, String modelName, String requested) {
        if (requested == null || requested.equals("auto")) {
            if (own.isPresent()) {
                return new Choice(checked(new JinjaChatTemplate(own.get().source(), own.get().origin(), tokenizer)),
                        "the model's own template (" + own.get().origin() + ")");
            }
            String name = fallbackFor(tokenizer);
            return new Choice(builtIn(name, tokenizer), "built-in " + name + " template (fallback: " + modelName
                    + " has no chat template; " + fallbackReason(name) + ")");
        }
        if (requested.equals("model")) {
            ModelChatTemplate t = own.orElseThrow(() -> new IllegalArgumentException("--template model: " + modelName
                    + " has no chat template (no " + ModelChatTemplate.GGUF_KEY + ", no tokenizer_config.json chat_template beside it)"));
            return new Choice(checked(new JinjaChatTemplate(t.source(), t.origin(), tokenizer)), "the model's own template ("
                    + t.origin() + ", --template model)");
        }
        if (BUILT_IN.contains(requested)) {
            return new Choice(builtIn(requested, tokenizer), "built-in " + requested + " template (--template " + requested + ")"
                    + own.map(t -> "; the model's own in " + t.origin() + " is not used").orElse(""));
        }
        Path file = Path.of(requested);
        if (requested.endsWith(".jinja") || Files.isRegularFile(file)) {
            String source = InputFiles.readText("--template", file, ModelChatTemplate.MAX_TEMPLATE_BYTES);
            return new Choice(checked(new JinjaChatTemplate(source, file.toString(), tokenizer)), "template file " + file + " (--template)");
        }
        throw new IllegalArgumentException("--template must be auto, model, " + String.join(", ", BUILT_IN)
                + " or a .jinja file, got '" + requested + "'");
    }

    /** The built-in format a vocabulary was made for: Llama 3 headers, ChatML markers, else Llama 2 [INST]. */
    static String fallbackFor(Tokenizer tokenizer) {
        if (tokenizer.tokenId("<|start_header_id|>").isPresent()) {
            return "llama3";
        }
        return tokenizer.tokenId("<|im_start|>").isPresent() && tokenizer.tokenId("<|im_end|>").isPresent() ? "chatml" : "llama2";
    }

    private static String fallbackReason(String name) {
        return switch (name) {
            case "llama3" -> "the vocabulary has <|start_header_id|>";
            case "chatml" -> "the vocabulary has <|im_start|> and <|im_end|>";
            default -> "the vocabulary has neither Llama 3 headers nor ChatML markers";
        };
    }

    static ChatTemplate builtIn(String name, Tokenizer tokenizer) {
        return switch (name) {
            case "llama3" -> new Llama3ChatTemplate(tokenizer);
            case "chatml" -> new ChatMlChatTemplate(tokenizer);
            case "llama2" -> new Llama2ChatTemplate(tokenizer);
            default -> throw new IllegalArgumentException("no built-in template '" + name + "' (built in: " + BUILT_IN + ")");
        };
    }

    /**
     * Renders a one-message conversation once, so that a template that does not parse fails when
     * the model is loaded rather than at the first message. A refusal ({@code raise_exception})
     * is not a defect here: some templates demand, say, a system message.
     */
    private static JinjaChatTemplate checked(JinjaChatTemplate template) {
        try {
            template.encode(List.of(Message.user("Hello")), true);
        } catch (ChatTemplateException e) {
            if (!(e.getCause() instanceof JinjaRenderer.RaisedByTemplate) && !e.getMessage().contains("refused the conversation")) {
                throw e;
            }
        }
        return template;
    }
}
