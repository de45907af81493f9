package io.jsteer.model.chat;

import io.jsteer.model.tokenizer.Tokenizer;
import java.util.List;

/**
 * Llama-3-instruct, as Meta's reference {@code ChatFormat} builds it: {@code <|begin_of_text|>},
 * then per message {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}, and for
 * generation an open assistant header. Role, the blank line and content are encoded separately
 * (as Meta does), special tokens are ids.
 */
public final class Llama3ChatTemplate implements ChatTemplate {
    private final Tokenizer tokenizer;
    private final int beginOfText;
    private final int startHeader;
    private final int endHeader;
    private final int endOfTurn;
    private final int endOfText;

    public Llama3ChatTemplate(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.beginOfText = special(tokenizer, "<|begin_of_text|>");
        this.startHeader = special(tokenizer, "<|start_header_id|>");
        this.endHeader = special(tokenizer, "<|end_header_id|>");
        this.endOfTurn = special(tokenizer, "<|eot_id|>");
        this.endOfText = special(tokenizer, "<|end_of_text|>");
    }

    private static int special(Tokenizer tokenizer, String piece) {
        return tokenizer.tokenId(piece).orElseThrow(() -> new IllegalArgumentException(
                "not a Llama 3 vocabulary: it has no " + piece + " token"));
    }

    @Override
    public int[] encode(List<Message> messages, boolean addGenerationPrompt) {
        TokenSequence ids = new TokenSequence().add(beginOfText);
        for (Message m : messages) {
            header(ids, m.role());
            ids.addAll(tokenizer.encode(m.content().strip(), false)).add(endOfTurn);
        }
        if (addGenerationPrompt) {
            header(ids, Message.ASSISTANT);
        }
        return ids.toArray();
    }

    private void header(TokenSequence ids, String role) {
        ids.add(startHeader).addAll(tokenizer.encode(role, false)).add(endHeader).addAll(tokenizer.encode("\n\n", false));
    }

    @Override
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder text = new StringBuilder("<|begin_of_text|>");
        for (Message m : messages) {
            text.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n")
                    .append(m.content().strip()).append("<|eot_id|>");
        }
        if (addGenerationPrompt) {
            text.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return text.toString();
    }

    @Override
    public int[] stopTokens() {
        return new int[] {endOfTurn, endOfText};
    }
}
