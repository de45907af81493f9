package io.jsteer.model.chat;

import io.jsteer.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Llama-2-chat, as Meta's reference {@code chat_completion} builds it: an optional system prompt
 * is folded into the first user message inside {@code <<SYS>>} markers; each finished
 * user/assistant exchange is encoded separately as {@code <s>[INST] user [/INST] answer </s>}; the
 * final user message opens {@code <s>[INST] user [/INST]} for the model to answer. Contents are
 * stripped of surrounding white space, as Meta's code does.
 */
public final class Llama2ChatTemplate implements ChatTemplate {
    private static final String B_INST = "[INST]";
    private static final String E_INST = "[/INST]";
    private static final String B_SYS = "<<SYS>>\n";
    private static final String E_SYS = "\n<</SYS>>\n\n";

    private final Tokenizer tokenizer;

    public Llama2ChatTemplate(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** A user turn and, unless it is the last, the assistant's answer to it. */
    private record Exchange(String user, String assistant) {
    }

    private static List<Exchange> exchanges(List<Message> messages) {
        List<Message> turns = messages;
        String system = null;
        if (!turns.isEmpty() && turns.getFirst().role().equals(Message.SYSTEM)) {
            system = turns.getFirst().content().strip();
            turns = turns.subList(1, turns.size());
        }
        if (turns.isEmpty()) {
            throw new IllegalArgumentException("a Llama 2 chat needs at least one user message");
        }
        List<Exchange> exchanges = new ArrayList<>();
        for (int i = 0; i < turns.size(); i += 2) {
            Message user = turns.get(i);
            if (!user.role().equals(Message.USER)) {
                throw new IllegalArgumentException("message " + i + " must be from the user (roles must alternate user/assistant), got " + user.role());
            }
            String userText = user.content().strip();
            if (i == 0 && system != null) {
                userText = B_SYS + system + E_SYS + userText;
            }
            String answer = null;
            if (i + 1 < turns.size()) {
                Message assistant = turns.get(i + 1);
                if (!assistant.role().equals(Message.ASSISTANT)) {
                    throw new IllegalArgumentException("message " + (i + 1) + " must be from the assistant, got " + assistant.role());
                }
                answer = assistant.content().strip();
            }
            exchanges.add(new Exchange(userText, answer));
        }
        return exchanges;
    }

    /** The text of one exchange between BOS and (for finished exchanges) EOS. */
    private static String body(Exchange e) {
        String prompt = B_INST + " " + e.user() + " " + E_INST;
        return e.assistant() == null ? prompt : prompt + " " + e.assistant() + " ";
    }

    @Override
    public int[] encode(List<Message> messages, boolean addGenerationPrompt) {
        TokenSequence ids = new TokenSequence();
        for (Exchange e : exchanges(messages)) {
            ids.add(tokenizer.bos()).addAll(tokenizer.encode(body(e), false));
            if (e.assistant() != null) {
                ids.add(tokenizer.eos());
            }
        }
        return ids.toArray();
    }

    @Override
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder text = new StringBuilder();
        for (Exchange e : exchanges(messages)) {
            text.append("<s>").append(body(e));
            if (e.assistant() != null) {
                text.append("</s>");
            }
        }
        return text.toString();
    }

    @Override
    public int[] stopTokens() {
        return new int[] {tokenizer.eos()};
    }
}
