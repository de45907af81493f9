package io.jsteer.steering.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into lower-case words for the text metrics: runs of letters and digits, joined by
 * an apostrophe or a hyphen between two such runs ({@code can't}, {@code well-being} stay one
 * word). Typographic apostrophes (’ ‘) count as {@code '}. Everything else separates words.
 */
public final class Words {

    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+(?:['-][\\p{L}\\p{N}]+)*");

    private Words() {}

    public static List<String> of(String text) {
        String normalised = text.replace('\u2019', '\'').replace('\u2018', '\'').toLowerCase(Locale.ROOT);
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(normalised);
        while (m.find()) {
            words.add(m.group());
        }
        return words;
    }
}
