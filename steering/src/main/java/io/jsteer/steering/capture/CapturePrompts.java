package io.jsteer.steering.capture;

import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.steering.data.LabelledPrompt;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Turns dataset records into token prompts for a capture. Labels: 1 for the positive / matching /
 * first-named class, 0 for the other, so that {@code meanDifference(site, 1, 0)} points towards
 * the behaviour. Every prompt starts with BOS.
 */
public final class CapturePrompts {

    public static final int POSITIVE = 1;
    public static final int NEGATIVE = 0;

    /**
     * How an A/B question is shown before the answer letter when no chat template is wanted: the
     * question, a blank line and "Answer: ", so the prompt ends "Answer: (A)".
     */
    public static final UnaryOperator<String> PLAIN_AB_FORMAT = q -> q + "\n\nAnswer: ";

    private CapturePrompts() {}

    /** Each pair as two prompts, positive (label 1) then negative (label 0), sharing group i. */
    public static List<CapturePrompt> pairs(Tokenizer tok, List<ContrastivePair> pairs, boolean parseSpecial) {
        List<CapturePrompt> out = new ArrayList<>(2 * pairs.size());
        for (int i = 0; i < pairs.size(); i++) {
            ContrastivePair p = pairs.get(i);
            out.add(new CapturePrompt(tok.encode(p.positive(), true, parseSpecial), POSITIVE, i, -1));
            out.add(new CapturePrompt(tok.encode(p.negative(), true, parseSpecial), NEGATIVE, i, -1));
        }
        return out;
    }

    /**
     * Labelled prompts; the label index is the position of the prompt's label in {@code labels}
     * (e.g. {@code List.of("harmless", "harmful")} gives harmful = 1).
     */
    public static List<CapturePrompt> labelled(Tokenizer tok, List<LabelledPrompt> prompts, List<String> labels,
                                               boolean parseSpecial) {
        List<CapturePrompt> out = new ArrayList<>(prompts.size());
        for (LabelledPrompt p : prompts) {
            int label = labels.indexOf(p.label());
            if (label < 0) {
                throw new IllegalArgumentException("prompt label '" + p.label() + "' is not one of " + labels);
            }
            out.add(CapturePrompt.of(tok.encode(p.text(), true, parseSpecial), label));
        }
        return out;
    }

    /**
     * CAA prompts: each item twice, {@code format(question) + "(X)"} with the matching letter
     * (label 1) and with the other letter (label 0), sharing group i; the position to record
     * ({@link PositionMode#AT}) is the token holding the answer letter.
     *
     * @param format turns the question into the text before the answer, e.g. {@link #PLAIN_AB_FORMAT}
     *               or a chat template ending with the assistant's turn; its text is parsed for
     *               special tokens
     */
    public static List<CapturePrompt> abItems(Tokenizer tok, List<AbItem> items, UnaryOperator<String> format) {
        List<CapturePrompt> out = new ArrayList<>(2 * items.size());
        for (int i = 0; i < items.size(); i++) {
            AbItem item = items.get(i);
            String head = format.apply(item.question());
            out.add(answerPrompt(tok, head, item.matching(), POSITIVE, i));
            out.add(answerPrompt(tok, head, item.notMatching(), NEGATIVE, i));
        }
        return out;
    }

    private static CapturePrompt answerPrompt(Tokenizer tok, String head, String letter, int label, int group) {
        String text = head + AbItem.answerText(letter);
        int[] tokens = tok.encode(text, true, true);
        int at = tokenAt(tok, tokens, text, text.length() - 2);
        return new CapturePrompt(tokens, label, group, at);
    }

    /**
     * The index of the token that holds character {@code charIndex} of {@code text}, found by
     * decoding ever longer prefixes of {@code tokens} (binary search; decoding is the one
     * operation every tokenizer supports the same way).
     *
     * @throws IllegalArgumentException when decoding does not give the text back at that character
     */
    public static int tokenAt(Tokenizer tok, int[] tokens, String text, int charIndex) {
        int lo = 1, hi = tokens.length; // smallest k with decode(tokens[0..k)).length() > charIndex
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (tok.decode(Arrays.copyOf(tokens, mid)).length() > charIndex) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        String decoded = tok.decode(Arrays.copyOf(tokens, lo));
        if (decoded.length() <= charIndex || decoded.charAt(charIndex) != text.charAt(charIndex)) {
            throw new IllegalArgumentException("cannot locate character " + charIndex + " ('" + text.charAt(charIndex)
                    + "') of the prompt in its tokens: decoding does not reproduce the text");
        }
        return lo - 1;
    }
}
