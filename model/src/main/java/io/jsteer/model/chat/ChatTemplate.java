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
     * A built-in template for a vocabulary without looking for the model's own: {@code name}
     * ("llama3", "chatml" or "llama2") when given, else the one the vocabulary was made for (see
     * {@link ChatTemplates#choose} for the model's own template).
     */
    static ChatTemplate forTokenizer(io.jsteer.model.tokenizer.Tokenizer tokenizer, String name) {
        return ChatTemplates.builtIn(name != null ? name : ChatTemplates.fallbackFor(tokenizer), tokenizer);
    }
}
