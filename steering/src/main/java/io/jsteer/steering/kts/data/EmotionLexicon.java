package io.jsteer.steering.kts.data;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The emotion words of the scaled-down demo (spec §7). The happy and sad lists score the target
 * effect; the longer list keeps emotion out of the benign set.
 */
public final class EmotionLexicon {

    /** Words whose probability after "... felt" counts as the happy side of the log-odds. */
    public static final List<String> HAPPY = List.of("happy", "glad", "excited", "proud");
    /** The sad side of the log-odds. */
    public static final List<String> SAD = List.of("sad", "upset", "unhappy", "lonely");

    /** Any of these in a benign sentence removes it (the benign set must carry no emotion). */
    private static final Set<String> ALL_EMOTION = Set.of(
            "happy", "happily", "happier", "happiest", "happiness", "glad", "excited", "proud", "joy", "joyful",
            "cheerful", "sad", "sadly", "sadness", "upset", "unhappy", "lonely", "angry", "mad", "scared",
            "afraid", "frightened", "sleepy", "tired", "cry", "cried", "crying", "tears", "smile", "smiled",
            "smiling", "laugh", "laughed", "laughing", "love", "loved", "loves", "sorry", "worried", "surprised",
            "bored", "fun", "nervous", "excitement", "grumpy", "jealous", "felt", "feel", "feels", "feeling");

    private static final Pattern WORD = Pattern.compile("[A-Za-z']+");
    private static final Pattern HAPPY_WORD = Pattern.compile("(?i)\\b(" + String.join("|", HAPPY) + ")\\b");

    private EmotionLexicon() {}

    /** Whether {@code text} contains an emotion word (case-insensitive, whole words). */
    public static boolean hasEmotionWord(String text) {
        var m = WORD.matcher(text);
        while (m.find()) {
            if (ALL_EMOTION.contains(m.group().toLowerCase(Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code text} contains one of {@link #HAPPY} as a whole word. */
    public static boolean hasHappyWord(String text) {
        return HAPPY_WORD.matcher(text).find();
    }
}
