package io.jsteer.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts text at occurrences of special tokens so they become single ids rather than being spelled
 * out. User-defined tokens are always matched (as llama.cpp and Hugging Face do); control and
 * unknown tokens only when the caller asks for special parsing. Longest match wins.
 */
final class SpecialTokenSplitter {

    /** A piece of input: either raw text to tokenize ({@code tokenId == -1}) or one special token. */
    record Fragment(String text, int tokenId) {
        boolean isText() {
            return tokenId < 0;
        }
    }

    private record Special(String text, int id, boolean always) {
    }

    private final Map<Character, List<Special>> alwaysByFirstChar = new HashMap<>();
    private final Map<Character, List<Special>> allByFirstChar = new HashMap<>();

    SpecialTokenSplitter(Vocabulary vocabulary) {
        String[] pieces = vocabulary.pieces();
        int[] types = vocabulary.tokenTypes();
        for (int id = 0; id < pieces.length; id++) {
            String piece = pieces[id];
            if (piece.isEmpty()) {
                continue;
            }
            int type = types[id];
            if (type == TokenType.USER_DEFINED) {
                add(alwaysByFirstChar, new Special(piece, id, true));
                add(allByFirstChar, new Special(piece, id, true));
            } else if (type == TokenType.CONTROL || type == TokenType.UNKNOWN) {
                add(allByFirstChar, new Special(piece, id, false));
            }
        }
        Comparator<Special> longestFirst = Comparator.comparingInt((Special s) -> s.text.length()).reversed();
        alwaysByFirstChar.values().forEach(l -> l.sort(longestFirst));
        allByFirstChar.values().forEach(l -> l.sort(longestFirst));
    }

    private static void add(Map<Character, List<Special>> map, Special special) {
        map.computeIfAbsent(special.text.charAt(0), c -> new ArrayList<>()).add(special);
    }

    /**
     * @param plainText when not null, characters flagged here never form control/unknown tokens
     *                  (only user-defined ones), as if parsed without {@code parseSpecial}
     */
    List<Fragment> split(String text, boolean parseSpecial, java.util.BitSet plainText) {
        Map<Character, List<Special>> specials = parseSpecial ? allByFirstChar : alwaysByFirstChar;
        List<Fragment> fragments = new ArrayList<>();
        if (specials.isEmpty()) {
            if (!text.isEmpty()) {
                fragments.add(new Fragment(text, -1));
            }
            return fragments;
        }
        int textStart = 0;
        int i = 0;
        while (i < text.length()) {
            Special match = matchAt(specials.get(text.charAt(i)), text, i, plainText);
            if (match == null) {
                i++;
                continue;
            }
            if (i > textStart) {
                fragments.add(new Fragment(text.substring(textStart, i), -1));
            }
            fragments.add(new Fragment(match.text, match.id));
            i += match.text.length();
            textStart = i;
        }
        if (textStart < text.length()) {
            fragments.add(new Fragment(text.substring(textStart), -1));
        }
        return fragments;
    }

    private static Special matchAt(List<Special> candidates, String text, int at, java.util.BitSet plainText) {
        if (candidates == null) {
            return null;
        }
        for (Special s : candidates) {
            boolean allowed = s.always || plainText == null || plainText.nextSetBit(at) < 0
                    || plainText.nextSetBit(at) >= at + s.text.length();
            if (allowed && text.startsWith(s.text, at)) {
                return s;
            }
        }
        return null;
    }
}
