package io.jsteer.steering.eval;

import io.jsteer.weights.InputFiles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The AFINN sentiment lexicon (Finn Årup Nielsen): one entry per line, {@code word<TAB>valence}
 * with an integer valence in −5..+5. Some entries are phrases of several words
 * ({@code does not work}); they are kept as word lists so that {@link AfinnSentiment} can match
 * them on the word sequence of a text.
 */
public final class AfinnLexicon {

    /** Entries keyed by their words joined with single spaces, lower case. */
    private final Map<String, Integer> entries;
    private final int longestPhrase;

    public AfinnLexicon(Map<String, Integer> entries) {
        this.entries = Map.copyOf(entries);
        int longest = 1;
        for (String key : this.entries.keySet()) {
            longest = Math.max(longest, key.split(" ").length);
        }
        this.longestPhrase = longest;
    }

    /** Reads an AFINN file such as {@code shared/data/sentiment/AFINN-en-165.txt}. */
    public static AfinnLexicon load(Path file) {
        List<String> lines;
        lines = InputFiles.readText("AFINN lexicon", file, InputFiles.DATASET_LIMIT).lines().toList();
        Map<String, Integer> entries = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int tab = line.lastIndexOf('\t');
            if (tab <= 0) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected 'word<TAB>score', got '" + line + "'");
            }
            int score;
            try {
                score = Integer.parseInt(line.substring(tab + 1).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": score '" + line.substring(tab + 1)
                        + "' is not an integer");
            }
            // Normalise the key the way texts are split, so "can't stand" matches the words [can't, stand].
            List<String> words = Words.of(line.substring(0, tab));
            if (words.isEmpty()) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": entry '" + line.substring(0, tab) + "' has no word");
            }
            entries.put(String.join(" ", words), score);
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no AFINN entries");
        }
        return new AfinnLexicon(entries);
    }

    /** The valence of a word or space-joined phrase, or null when it is not in the lexicon. */
    public Integer valence(String wordOrPhrase) {
        return entries.get(wordOrPhrase);
    }

    /** The single-word entries (no phrases) whose valence is at least {@code min} (a negative min: at most), sorted. */
    public List<String> words(int min) {
        return entries.entrySet().stream()
                .filter(e -> !e.getKey().contains(" ") && (min >= 0 ? e.getValue() >= min : e.getValue() <= min))
                .map(Map.Entry::getKey).sorted().toList();
    }

    /** Words in the longest phrase entry. */
    public int longestPhrase() { return longestPhrase; }

    public int size() { return entries.size(); }
}
