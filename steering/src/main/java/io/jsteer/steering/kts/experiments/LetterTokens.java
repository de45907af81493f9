package io.jsteer.steering.kts.experiments;

import io.jsteer.model.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * The token that continues a text with each option letter: the first token where the encodings
 * of {@code prefix + letter} and {@code prefix} part (tokenizers merge across the boundary, so the
 * letter is not encoded on its own).
 */
final class LetterTokens {

    private LetterTokens() {}

    static int[] of(Tokenizer tok, String prefix, int options) {
        int[] base = tok.encode(prefix, false);
        int[] out = new int[options];
        for (int i = 0; i < options; i++) {
            int[] full = tok.encode(prefix + AnswerLetters.letter(i), false);
            int j = 0;
            while (j < base.length && j < full.length && base[j] == full[j]) {
                j++;
            }
            if (j != base.length || j >= full.length) {
                throw new IllegalStateException("the tokenizer merges option letter " + AnswerLetters.letter(i)
                        + " into the answer opening \"" + prefix + "\": letter scoring needs the opening's tokens unchanged");
            }
            out[i] = full[j];
            for (int k = 0; k < i; k++) {
                if (out[k] == out[i]) {
                    throw new IllegalStateException("option letters " + AnswerLetters.letter(k) + " and " + AnswerLetters.letter(i)
                            + " start with the same token " + Arrays.toString(new int[] {out[i]}));
                }
            }
        }
        return out;
    }
}
