package io.jsteer.steering.kts.experiments;

import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.chat.Message;
import io.jsteer.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a contrast exchange (user prompt, assistant text) becomes token ids when a steering vector is
 * read from it (last token, kts.md §1).
 *
 * <ul>
 *   <li>{@link Kind#REFERENCE}: the reference code's "llama2chatsimple" string,
 *       {@code "[INST] {user}\nAnswer: [/INST] {assistant}"}, after BOS, no system prompt;</li>
 *   <li>{@link Kind#TEMPLATE}: the model's chat template with the same user turn
 *       ({@code user + "\nAnswer:"}, optional system prompt) and the assistant text appended after
 *       the generation prompt; for Llama 2's template this is the reference string token for token
 *       whenever the answer is not empty;</li>
 *   <li>{@link Kind#PLAIN}: BOS + user text (+ " " + answer): base models such as stories260K,
 *       which have never seen a chat format.</li>
 * </ul>
 */
public record PromptFormat(Kind kind, ChatTemplate template, String system) {

    public enum Kind { PLAIN, REFERENCE, TEMPLATE }

    public PromptFormat {
        if (kind == Kind.TEMPLATE && template == null) {
            throw new IllegalArgumentException("the template prompt format needs a chat template");
        }
    }

    public static PromptFormat plain() {
        return new PromptFormat(Kind.PLAIN, null, null);
    }

    public static PromptFormat reference() {
        return new PromptFormat(Kind.REFERENCE, null, null);
    }

    public static PromptFormat template(ChatTemplate template, String system) {
        return new PromptFormat(Kind.TEMPLATE, template, system);
    }

    /** Parses a --format value: plain, reference or template. */
    public static Kind parseKind(String option, String value) {
        try {
            return Kind.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " must be plain, reference or template, got '" + value + "'");
        }
    }

    /** The reference code's formatting of one exchange (its preprocess_steering_data). */
    public static String referenceText(String user, String assistant) {
        return "[INST] " + user + "\nAnswer: [/INST] " + assistant;
    }

    /** Ids of one contrast exchange; the vector is read at the last of them. */
    public int[] exchange(Tokenizer tok, String user, String assistant) {
        return switch (kind) {
            case PLAIN -> tok.encode(assistant.isEmpty() ? user : user + " " + assistant, true);
            case REFERENCE -> tok.encode(referenceText(user, assistant), true);
            case TEMPLATE -> assistant.isEmpty() ? template.encode(messages(user + "\nAnswer:"), true)
                    : answered(tok, user + "\nAnswer:", assistant).ids();
        };
    }

    /**
     * The ids of one exchange and where its answer starts: {@code ids[answerStart..]} are the
     * answer's tokens (MAT-Steer reads its features there and scores them).
     */
    public record Answered(int[] ids, int answerStart) {}

    /**
     * One exchange with the user text as it is: plain and reference as {@link #exchange} (the
     * answer starts after the common prefix with the user text's own ids); template = the user turn
     * with the generation prompt, then the answer's ids as the tokenizer splits rendered + answer.
     */
    public Answered answered(Tokenizer tok, String user, String assistant) {
        return switch (kind) {
            case PLAIN, REFERENCE -> {
                int[] ids = kind == Kind.PLAIN ? tok.encode(user + " " + assistant, true) : tok.encode(referenceText(user, assistant), true);
                int[] head = kind == Kind.PLAIN ? tok.encode(user, true) : tok.encode("[INST] " + user + "\nAnswer: [/INST]", true);
                int n = 0;
                while (n < head.length && n < ids.length && head[n] == ids[n]) {
                    n++;
                }
                yield new Answered(ids, n);
            }
            case TEMPLATE -> {
                int[] head = template.encode(messages(user), true);
                // Llama 2's opening ends with "[/INST]" and the reference puts one space before the answer;
                // templates whose opening ends in a newline (Llama 3, ChatML) take the answer as it is
                String rendered = template.render(messages(user), true);
                String tail = rendered.isEmpty() || Character.isWhitespace(rendered.charAt(rendered.length() - 1))
                        ? assistant : " " + assistant;
                yield new Answered(concat(head, continuation(tok, rendered, tail)), head.length);
            }
        };
    }

    /** Each pair's two exchanges rendered, {@code {first, second}} ids per pair (what a mean difference reads). */
    public List<int[][]> render(Tokenizer tok, List<PromptPair> pairs) {
        return pairs.stream().map(p -> new int[][] {exchange(tok, p.firstUser(), p.firstAnswer()),
                exchange(tok, p.secondUser(), p.secondAnswer())}).toList();
    }

    /** Ids of a request to answer (no "Answer:" suffix): what generation starts from. */
    public int[] request(Tokenizer tok, String user) {
        return switch (kind) {
            case PLAIN -> tok.encode(user, true);
            case REFERENCE -> tok.encode("[INST] " + user + " [/INST]", true);
            case TEMPLATE -> template.encode(messages(user), true);
        };
    }

    /** A two-turn request: user, assistant's first answer, user again (MT-Bench's second turn). */
    public int[] secondTurn(Tokenizer tok, String user1, String answer1, String user2) {
        return switch (kind) {
            case PLAIN -> tok.encode(user1 + " " + answer1 + "\n" + user2, true);
            case REFERENCE -> concat(tok.encode("[INST] " + user1 + " [/INST] " + answer1, true),
                    concat(new int[] {tok.eos()}, tok.encode("[INST] " + user2 + " [/INST]", true)));
            case TEMPLATE -> {
                List<Message> m = new ArrayList<>(messages(user1));
                m.add(Message.assistant(answer1.isBlank() ? "." : answer1));
                m.add(Message.user(user2));
                yield template.encode(m, true);
            }
        };
    }

    /** Tokens at which an answer stops: EOS, BOS and the template's own stop tokens. */
    public int[] stops(Tokenizer tok) {
        int[] own = kind == Kind.TEMPLATE ? template.stopTokens() : new int[0];
        return concat(new int[] {tok.eos(), tok.bos()}, own);
    }

    private List<Message> messages(String user) {
        return system == null || system.isBlank() ? List.of(Message.user(user))
                : List.of(Message.system(system), Message.user(user));
    }

    /**
     * The ids {@code tail} adds after {@code text}, as the tokenizer splits {@code text + tail}: the
     * encoding of the text's last word with and without the tail, minus the common head (a
     * SentencePiece tokenizer would put a second word-start marker before a tail encoded alone).
     */
    static int[] continuation(Tokenizer tok, String text, String tail) {
        int cut = text.length();
        while (cut > 0 && !Character.isWhitespace(text.charAt(cut - 1))) {
            cut--;
        }
        String anchor = text.substring(cut);
        if (anchor.isEmpty()) {
            return tok.encode(tail, false);
        }
        int[] base = tok.encode(anchor, false), full = tok.encode(anchor + tail, false);
        int j = 0;
        while (j < base.length && j < full.length && base[j] == full[j]) {
            j++;
        }
        if (j != base.length) {
            throw new IllegalStateException("the tokenizer merges '" + anchor + "' with the text after it ('" + tail
                    + "'): cannot append it to the chat template's ids");
        }
        return java.util.Arrays.copyOfRange(full, j, full.length);
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    public String describe() {
        return switch (kind) {
            case PLAIN -> "plain (BOS + text)";
            case REFERENCE -> "reference Llama-2 string \"[INST] {user}\\nAnswer: [/INST] {answer}\"";
            case TEMPLATE -> "the model's chat template" + (system == null || system.isBlank() ? "" : " with system prompt \"" + system + "\"");
        };
    }
}
