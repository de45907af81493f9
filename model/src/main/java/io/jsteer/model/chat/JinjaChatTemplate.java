package io.jsteer.model.chat;

import io.jsteer.model.tokenizer.TokenType;
import io.jsteer.model.tokenizer.Tokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's own chat template ({@code tokenizer.chat_template}, Jinja), rendered as Hugging Face
 * transformers' {@code apply_chat_template} does: variables {@code messages} (role and content),
 * {@code add_generation_prompt}, {@code bos_token} and {@code eos_token} (the vocabulary's BOS and
 * EOS pieces, when it has them). The rendered text is tokenized with the text of control tokens
 * read as those tokens, except inside message contents, which are always plain text.
 */
public final class JinjaChatTemplate implements ChatTemplate {
    /** End-of-turn pieces that stop a reply when the vocabulary has them as control tokens. */
    private static final List<String> END_OF_TURN = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|eom_id|>", "<|endoftext|>", "<|end_of_text|>", "</s>");

    private final JinjaRenderer renderer;
    private final Tokenizer tokenizer;
    /** Texts of control and unknown tokens: those that special parsing would turn into ids. */
    private final List<String> specialTexts;
    private final int[] stopTokens;

    /**
     * @param template the Jinja source
     * @param origin   where it came from, for messages: e.g. {@code model.gguf (tokenizer.chat_template)}
     */
    public JinjaChatTemplate(String template, String origin, Tokenizer tokenizer) {
        this(template, origin, tokenizer, JinjaRenderer.DEFAULT_MAX_OUTPUT_CHARS, JinjaRenderer.DEFAULT_TIME_LIMIT);
    }

    /** With explicit bounds on the rendered text's length and the time one render may take. */
    public JinjaChatTemplate(String template, String origin, Tokenizer tokenizer, long maxOutputChars, Duration timeLimit) {
        this.renderer = new JinjaRenderer(template, origin, maxOutputChars, timeLimit);
        this.tokenizer = tokenizer;
        List<String> specials = new ArrayList<>();
        String[] pieces = tokenizer.vocabulary().pieces();
        int[] types = tokenizer.vocabulary().tokenTypes();
        for (int id = 0; id < pieces.length; id++) {
            if ((types[id] == TokenType.CONTROL || types[id] == TokenType.UNKNOWN) && !pieces[id].isEmpty()) {
                specials.add(pieces[id]);
            }
        }
        this.specialTexts = List.copyOf(specials);
        Set<Integer> stops = new LinkedHashSet<>();
        if (tokenizer.eos() >= 0) {
            stops.add(tokenizer.eos());
        }
        for (String piece : END_OF_TURN) {
            tokenizer.tokenId(piece).ifPresent(id -> {
                if (types[id] == TokenType.CONTROL) {
                    stops.add(id);
                }
            });
        }
        this.stopTokens = stops.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Where the template came from, as given to the constructor. */
    public String origin() {
        return renderer.origin();
    }

    @Override
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return renderer.render(variables(messages, addGenerationPrompt));
    }

    @Override
    public int[] encode(List<Message> messages, boolean addGenerationPrompt) {
        // Each control-token text inside a message is swapped for a private-use character that
        // occurs nowhere else, so that after rendering we know which occurrences came from a message.
        String all = messages.stream().map(Message::content).reduce("", String::concat);
        Map<String, Character> placeholders = new LinkedHashMap<>();
        List<Message> masked = new ArrayList<>(messages.size());
        char next = '\uE000';
        for (Message m : messages) {
            String content = m.content();
            for (String special : specialTexts) {
                if (content.contains(special)) {
                    Character p = placeholders.get(special);
                    if (p == null) {
                        next = unused(next, all);
                        p = next++;
                        placeholders.put(special, p);
                    }
                    content = content.replace(special, String.valueOf(p));
                }
            }
            masked.add(new Message(m.role(), content));
        }
        String rendered = renderer.render(variables(masked, addGenerationPrompt));
        if (placeholders.isEmpty()) {
            return tokenizer.encodeTemplated(rendered, new BitSet());
        }
        Map<Character, String> restore = new HashMap<>();
        placeholders.forEach((text, p) -> restore.put(p, text));
        StringBuilder text = new StringBuilder(rendered.length() + 64);
        BitSet plain = new BitSet();
        for (int i = 0; i < rendered.length(); i++) {
            String special = restore.get(rendered.charAt(i));
            if (special == null) {
                text.append(rendered.charAt(i));
            } else {
                plain.set(text.length(), text.length() + special.length());
                text.append(special);
            }
        }
        return tokenizer.encodeTemplated(text.toString(), plain);
    }

    /** The first private-use character at or after {@code from} that {@code text} does not contain. */
    private char unused(char from, String text) {
        for (char c = from; c <= '\uF8FF'; c++) {
            if (text.indexOf(c) < 0 && renderer.sourceHasNo(c)) {
                return c;
            }
        }
        throw new ChatTemplateException(renderer.origin(), "too many distinct special-token texts in the messages");
    }

    private Map<String, Object> variables(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (Message m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content());
            list.add(message);
        }
        Map<String, Object> vars = new HashMap<>();
        vars.put("messages", list);
        vars.put("add_generation_prompt", addGenerationPrompt);
        if (tokenizer.bos() >= 0) {
            vars.put("bos_token", tokenizer.piece(tokenizer.bos()));
        }
        if (tokenizer.eos() >= 0) {
            vars.put("eos_token", tokenizer.piece(tokenizer.eos()));
        }
        return vars;
    }

    @Override
    public int[] stopTokens() {
        return stopTokens.clone();
    }
}
