package io.jsteer.model.chat;

import io.jsteer.model.tokenizer.Tokenizer;
import java.util.List;

/**
 * ChatML, the format of Qwen and many other instruct models: per message
 * {@code <|im_start|>role\ncontent<|im_end|>\n}, and for generation an open
 * {@code <|im_start|>assistant\n}. No BOS. Contents are kept as they are (no stripping), as the
 * Qwen templates do; special tokens are ids, never parsed from the contents.
 */
public final class ChatMlChatTemplate implements ChatTemplate {
    private final Tokenizer tokenizer;
    private final int imStart;
    private final int imEnd;

    public ChatMlChatTemplate(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.imStart = special(tokenizer, "<|im_start|>");
        this.imEnd = special(tokenizer, "<|im_end|>");
    }

    private static int special(Tokenizer tokenizer, String piece) {
        return tokenizer.tokenId(piece).orElseThrow(() -> new IllegalArgumentException(
                "the ChatML template needs a vocabulary with " + piece + ", this one has none"));
    }

    @Override
    public int[] encode(List<Message> messages, boolean addGenerationPrompt) {
        TokenSequence ids = new TokenSequence();
        for (Message m : messages) {
            ids.add(imStart).addAll(tokenizer.encode(m.role() + "\n" + m.content(), false)).add(imEnd)
                    .addAll(tokenizer.encode("\n", false));
        }
        if (addGenerationPrompt) {
            ids.add(imStart).addAll(tokenizer.encode(Message.ASSISTANT + "\n", false));
        }
        return ids.toArray();
    }

    @Override
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder text = new StringBuilder();
        for (Message m : messages) {
            text.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        }
        if (addGenerationPrompt) {
            text.append("<|im_start|>assistant\n");
        }
        return text.toString();
    }

    @Override
    public int[] stopTokens() {
        return tokenizer.eos() >= 0 && tokenizer.eos() != imEnd ? new int[] {imEnd, tokenizer.eos()} : new int[] {imEnd};
    }
}
