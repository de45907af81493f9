package io.jsteer.steering.kts.data;

import io.jsteer.steering.data.ContrastivePair;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The procedurally generated, seeded texts of the scaled-down demo (spec §7): happy/sad contrast
 * pairs (the held-out target attribute), a pool of other concepts paired against neutral
 * sentences (the KTS training pool), and prompts that end at an emotion slot. Everything is in
 * the simple TinyStories register that stories260K was trained on.
 */
public final class DemoCorpus {

    private static final List<String> NAMES = List.of("Lily", "Tom", "Mia", "Ben", "Sue", "Max", "Anna", "Sam",
            "Lucy", "Jack", "Tim", "Sara", "Kitty", "Bob", "Amy", "Joe");
    private static final List<String> PLACES = List.of("park", "garden", "house", "yard", "room", "street",
            "forest", "shop", "school", "beach");
    private static final List<String> THINGS = List.of("box", "ball", "book", "hat", "toy", "stick", "rock",
            "cup", "car", "kite");
    private static final List<String> PEOPLE = List.of("mom", "dad", "friend", "sister", "brother", "teacher");

    /** Paired by index: happy word i against sad word i; the emotion is the only difference. */
    private static final List<String> HAPPY_WORDS = List.of("happy", "glad", "excited", "proud", "cheerful", "joyful");
    private static final List<String> SAD_WORDS = List.of("sad", "upset", "unhappy", "lonely", "gloomy", "miserable");
    private static final List<String> EMOTION_TEMPLATES = List.of(
            "%s was very %s when %s saw the %s.",
            "%s felt %s all day at the %s with %s.",
            "After lunch, %s was %s and looked at the %s.",
            "%s sat in the %s and felt %s.",
            "%s was %s because of the %s.");

    /** The KTS training pool: name and the words that fill "{concept}" slots. */
    private static final List<ConceptWords> POOL = List.of(
            new ConceptWords("colours", List.of("red", "blue", "green", "yellow", "pink", "purple"), false),
            new ConceptWords("animals", List.of("dog", "cat", "bird", "fish", "frog", "bunny"), true),
            new ConceptWords("food", List.of("cake", "apple", "cookie", "bread", "soup", "candy"), true),
            new ConceptWords("weather", List.of("rain", "snow", "wind", "storm", "sun", "cloud"), true),
            new ConceptWords("angry", List.of("angry", "mad", "cross", "grumpy"), false),
            new ConceptWords("sleepy", List.of("sleepy", "tired", "yawning", "drowsy"), false),
            new ConceptWords("hungry", List.of("hungry", "starving", "thirsty"), false),
            new ConceptWords("music", List.of("song", "drum", "piano", "guitar", "bell"), true),
            new ConceptWords("water", List.of("sea", "river", "lake", "pond", "water"), true),
            new ConceptWords("trees", List.of("tree", "leaf", "branch", "flower", "bush"), true),
            new ConceptWords("vehicles", List.of("truck", "train", "boat", "plane", "bus"), true),
            new ConceptWords("night", List.of("moon", "star", "night", "dark", "owl"), true),
            new ConceptWords("cold", List.of("cold", "icy", "freezing", "chilly"), false),
            new ConceptWords("size", List.of("big", "huge", "tiny", "giant"), false),
            new ConceptWords("speed", List.of("fast", "quick", "slow", "speedy"), false),
            new ConceptWords("cooking", List.of("oven", "pot", "spoon", "pan", "kitchen"), true),
            new ConceptWords("scared", List.of("scared", "afraid", "frightened", "nervous"), false),
            new ConceptWords("birthday", List.of("party", "gift", "balloon", "present", "candle"), true),
            new ConceptWords("royalty", List.of("king", "queen", "prince", "princess", "castle"), true),
            new ConceptWords("shiny", List.of("shiny", "sparkly", "bright", "golden"), false));

    private static final List<String> NOUN_TEMPLATES = List.of(
            "%s saw a %s near the %s.",
            "%s talked about the %s with %s.",
            "In the %s, %s found a %s.",
            "%s drew a picture of a %s.");
    private static final List<String> ADJECTIVE_TEMPLATES = List.of(
            "%s was very %s at the %s.",
            "%s felt %s after playing with %s.",
            "The %s was %s, said %s.",
            "%s looked %s and sat down.");
    private static final List<String> NEUTRAL_TEMPLATES = List.of(
            "%s walked to the %s with %s.",
            "%s put the %s on the table.",
            "In the %s, %s opened a %s.",
            "%s gave the %s to %s.");
    private static final List<String> SLOT_EVENTS = List.of(
            "found a %s in the %s", "went to the %s with %s", "lost a %s at the %s", "saw a %s in the %s",
            "played with a %s at the %s", "gave a %s to %s", "could not find the %s in the %s",
            "looked at the %s for a long time");

    private record ConceptWords(String name, List<String> words, boolean noun) {}

    private DemoCorpus() {}

    /** Happy (positive) vs sad (negative) sentences, identical except for the emotion word. */
    public static List<ContrastivePair> happySadPairs(int count, long seed) {
        Random rnd = new Random(seed);
        Set<ContrastivePair> pairs = new LinkedHashSet<>();
        for (int tries = 0; pairs.size() < count && tries < 100 * count; tries++) {
            int e = rnd.nextInt(HAPPY_WORDS.size());
            String name = pick(rnd, NAMES);
            String template = pick(rnd, EMOTION_TEMPLATES);
            long slotSeed = rnd.nextLong(); // the same seed for both sides: only the emotion word differs
            Object[] happy = emotionSlots(template, name, HAPPY_WORDS.get(e), slotSeed);
            Object[] sad = emotionSlots(template, name, SAD_WORDS.get(e), slotSeed);
            pairs.add(new ContrastivePair(template.formatted(happy), template.formatted(sad)));
        }
        return List.copyOf(pairs);
    }

    /** Fills a template's slots; everything but the emotion comes from {@code slotSeed}. */
    private static Object[] emotionSlots(String template, String name, String emotion, long slotSeed) {
        Random r = new Random(slotSeed);
        String place = pick(r, PLACES), thing = pick(r, THINGS), person = pick(r, PEOPLE);
        String pronoun = List.of("Lily", "Mia", "Sue", "Anna", "Lucy", "Sara", "Kitty", "Amy").contains(name) ? "she" : "he";
        return switch (EMOTION_TEMPLATES.indexOf(template)) {
            case 0 -> new Object[] {name, emotion, pronoun, thing};
            case 1 -> new Object[] {name, emotion, place, person};
            case 2 -> new Object[] {name, emotion, thing};
            case 3 -> new Object[] {name, place, emotion};
            default -> new Object[] {name, emotion, thing};
        };
    }

    /** Names of the training-pool concepts, in a fixed order. */
    public static List<String> poolConceptNames() {
        return POOL.stream().map(ConceptWords::name).toList();
    }

    /** Every pool concept with {@code pairsPerConcept} (concept sentence, neutral sentence) pairs. */
    public static List<Concept> trainingPool(int pairsPerConcept, long seed) {
        List<Concept> out = new ArrayList<>();
        for (int c = 0; c < POOL.size(); c++) {
            ConceptWords cw = POOL.get(c);
            Random rnd = new Random(seed * 31 + c);
            Set<ContrastivePair> pairs = new LinkedHashSet<>();
            for (int tries = 0; pairs.size() < pairsPerConcept && tries < 100 * pairsPerConcept; tries++) {
                pairs.add(new ContrastivePair(conceptSentence(cw, rnd), neutralSentence(rnd)));
            }
            out.add(new Concept(cw.name(), new ArrayList<>(pairs)));
        }
        return out;
    }

    private static String conceptSentence(ConceptWords cw, Random rnd) {
        String w = pick(rnd, cw.words()), name = pick(rnd, NAMES);
        if (cw.noun()) {
            int t = rnd.nextInt(NOUN_TEMPLATES.size());
            return switch (t) {
                case 0 -> NOUN_TEMPLATES.get(0).formatted(name, w, pick(rnd, PLACES));
                case 1 -> NOUN_TEMPLATES.get(1).formatted(name, w, pick(rnd, PEOPLE));
                case 2 -> NOUN_TEMPLATES.get(2).formatted(pick(rnd, PLACES), name, w);
                default -> NOUN_TEMPLATES.get(3).formatted(name, w);
            };
        }
        int t = rnd.nextInt(ADJECTIVE_TEMPLATES.size());
        return switch (t) {
            case 0 -> ADJECTIVE_TEMPLATES.get(0).formatted(name, w, pick(rnd, PLACES));
            case 1 -> ADJECTIVE_TEMPLATES.get(1).formatted(name, w, pick(rnd, PEOPLE));
            case 2 -> ADJECTIVE_TEMPLATES.get(2).formatted(pick(rnd, THINGS), w, name);
            default -> ADJECTIVE_TEMPLATES.get(3).formatted(name, w);
        };
    }

    private static String neutralSentence(Random rnd) {
        String name = pick(rnd, NAMES);
        int t = rnd.nextInt(NEUTRAL_TEMPLATES.size());
        return switch (t) {
            case 0 -> NEUTRAL_TEMPLATES.get(0).formatted(name, pick(rnd, PLACES), pick(rnd, PEOPLE));
            case 1 -> NEUTRAL_TEMPLATES.get(1).formatted(name, pick(rnd, THINGS));
            case 2 -> NEUTRAL_TEMPLATES.get(2).formatted(pick(rnd, PLACES), name, pick(rnd, THINGS));
            default -> NEUTRAL_TEMPLATES.get(3).formatted(name, pick(rnd, THINGS), pick(rnd, PEOPLE));
        };
    }

    /** Prompts that end where an emotion word would come next, e.g. "Mia found a box in the park. Then Mia felt". */
    public static List<String> targetedPrompts(int count, long seed) {
        Random rnd = new Random(seed);
        Set<String> prompts = new LinkedHashSet<>();
        for (int tries = 0; prompts.size() < count && tries < 100 * count; tries++) {
            String name = pick(rnd, NAMES);
            String event = pick(rnd, SLOT_EVENTS);
            String filled = switch (SLOT_EVENTS.indexOf(event)) {
                case 1, 5 -> event.formatted(pick(rnd, PLACES), pick(rnd, PEOPLE));
                case 7 -> event.formatted(pick(rnd, THINGS));
                default -> event.formatted(pick(rnd, THINGS), pick(rnd, PLACES));
            };
            prompts.add(name + " " + filled + ". Then " + name + " felt");
        }
        return List.copyOf(prompts);
    }

    private static <T> T pick(Random rnd, List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }
}
