package io.jsteer.model.chat;

import java.util.List;

/**
 * Turns a conversation into the prompt an instruction-tuned model was trained on. {@link #encode}
 * is what a model should see: special tokens are inserted as ids, so user text that happens to
 * contain e.g. {@code <|eot_id|>} cannot inject control tokens. {@link #render} is the same prompt
 * as text, for display and logging.
 */
public interface ChatTemplate {

    /**
     * @param addGenerationPrompt end with the opening of an assistant turn so that the model's
     *                            continuation is the assistant's reply
     */
    int[] encode(List<Message> messages, boolean addGenerationPrompt);

    String render(List<Message> messages, boolean addGenerationPrompt);

    /** Token ids at which generation of an assistant reply should stop. */
    int[] stopTokens();

    /**
     * The template for {@code tokenizer}: {@code name} ("llama2" or "llama3") when given, else
     * Llama 3 headers when the vocabulary has {@code <|start_header_id|>}, else Llama 2 {@code [INST]}.
     */
    static ChatTemplate forTokenizer(io.jsteer.model.tokenizer.Tokenizer tokenizer, String name) {
        String t = name != null ? name : tokenizer.tokenId("<|start_header_id|>").isPresent() ? "llama3" : "llama2";
        return switch (t) {
            case "llama3" -> new Llama3ChatTemplate(tokenizer);
            case "llama2" -> new Llama2ChatTemplate(tokenizer);
            default -> throw new IllegalArgumentException("--template must be llama2 or llama3, got '" + t + "'");
        };
    }
}
