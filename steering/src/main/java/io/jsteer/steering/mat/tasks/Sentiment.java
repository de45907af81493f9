package io.jsteer.steering.mat.tasks;

import io.jsteer.steering.eval.AfinnLexicon;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A sentiment attribute from the shared AFINN lexicon ({@code sentiment/AFINN-en-165.txt}): each
 * item pairs one strongly positive and one strongly negative single word (valence ≥ +3 and ≤ −3)
 * as the answers to a plain feeling question, positive = desirable:
 * <pre>Q: How was the day? A: It was wonderful   |   It was awful</pre>
 * The words are shuffled with the seed and zipped (the shorter list sets the count); questions
 * and answer frames rotate over a few neutral templates so no single prompt dominates; the
 * choices alternate order. The other files of {@code sentiment/} are Llama-3 chat personas
 * (the README's steering demo explains why they do not suit a base model), so the lexicon is the
 * model-independent source of labelled sentiment here.
 */
final class Sentiment {

    /** The strength a word needs on AFINN's −5..+5 scale. */
    static final int MIN_VALENCE = 3;

    private static final String[][] TEMPLATES = {
            {"How was the day?", "It was "},
            {"How did the story end?", "The end was "},
            {"How did Tom feel?", "Tom felt "},
            {"What was the party like?", "The party was "},
            {"How did the food taste?", "The food was "},
    };

    private Sentiment() {}

    static List<McItem> load(Path afinn, long seed) {
        AfinnLexicon lexicon = AfinnLexicon.load(afinn);
        List<String> positive = new ArrayList<>(lexicon.words(MIN_VALENCE)), negative = new ArrayList<>(lexicon.words(-MIN_VALENCE));
        if (positive.isEmpty() || negative.isEmpty()) {
            throw new IllegalArgumentException(afinn + ": needs single words of valence >= +" + MIN_VALENCE + " and <= -"
                    + MIN_VALENCE + ", found " + positive.size() + " and " + negative.size());
        }
        Random rng = new Random(seed);
        Collections.shuffle(positive, rng);
        Collections.shuffle(negative, rng);
        int n = Math.min(positive.size(), negative.size());
        List<McItem> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String[] t = TEMPLATES[i % TEMPLATES.length];
            String good = t[1] + positive.get(i), bad = t[1] + negative.get(i);
            boolean goodFirst = i % 2 == 0;
            items.add(new McItem("sentiment", positive.get(i) + "/" + negative.get(i), McItem.prompt(t[0]),
                    goodFirst ? List.of(good, bad) : List.of(bad, good), goodFirst ? List.of(true, false) : List.of(false, true)));
        }
        return items;
    }
}
