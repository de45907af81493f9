package io.jsteer.steering.sweep;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.capture.CapturePrompts;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.steering.eval.AfinnLexicon;
import io.jsteer.steering.vectors.Extraction;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.vectors.Magnitude;
import io.jsteer.steering.vectors.PairedPca;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The README's demo: a happy-minus-sad steering vector on a small story model, swept over layers
 * and strengths, scored by the AFINN sentiment of sampled stories and the KL on neutral prompts.
 *
 * <p><b>Why story prompts and not the shared chat prompts.</b> {@code shared/data/sentiment/
 * cvector_positive.txt}/{@code negative.txt} are Llama-3 chat-template personas; a TinyStories
 * model (stories260K, 512-token vocabulary) has never seen that template or words like "persona",
 * so its activations on them say little about happy vs sad. The contrast here is built from
 * paired story sentences in its own register (same names and structure, happy vs sad words).
 *
 * <p><b>The vector.</b> Per block L: mean over happy prompts of resid_post[L] at the last prompt
 * token, minus the same mean over sad prompts ({@code [nLayers][dim]}), scaled to unit length.
 * strength × that direction is added at every position (prompt and generated) of
 * resid_post[L], so the strength is the length of the push in the stream's own units. The raw
 * differences are 0.1 (block 0) to 1.9 (block 4) long on stories260K, against a mean
 * ‖resid_post‖ of about 4, 5.5, 7, 10 and 13 in blocks 0–4 on the neutral prompts, so equal
 * strengths push early blocks relatively harder.
 */
public final class SentimentSweepDemo {

    private static final String[][] NAMES = {
        {"Lily", "She"}, {"Tom", "He"}, {"Sue", "She"}, {"Ben", "He"}, {"Mia", "She"}, {"Max", "He"}, {"Anna", "She"}, {"Sam", "He"},
    };

    /** Paired templates: {happy, sad}; {N} is a name, {P} its pronoun. */
    private static final String[][] TEMPLATES = {
        {"{N} was very happy. {P} smiled and laughed all day.", "{N} was very sad. {P} cried and frowned all day."},
        {"{N} had a great day. Everything was fun and nice.", "{N} had a bad day. Everything was scary and wrong."},
        {"{N} loved the sunny park. {P} felt so glad and proud.", "{N} hated the dark rain. {P} felt so upset and alone."},
        {"{N} got a nice gift from mom. {P} was so excited and happy.", "{N} lost the toy from mom. {P} was so angry and sad."},
    };

    /** Openings the stories are sampled from. */
    public static final List<String> STORY_PROMPTS = List.of(
            "Once upon a time,",
            "One day, a little girl named Lily",
            "Tom went to the park with his dog.",
            "There was a big tree in the garden.",
            "Mom said to Ben,");

    /** Neutral text for the KL: no sentiment words, the register the model was trained on. */
    public static final List<String> NEUTRAL_PROMPTS = List.of(
            "Tom and his mom went to the store to buy some milk and bread.",
            "The cat sat on the mat. The dog was under the table.",
            "Sue had a red ball and a blue box. She put the ball in the box.",
            "It was a day in the town. A man walked to the shop with a bag.",
            "Ben saw a bird on the roof. The bird had a long tail.");

    /** Held-out stories for perplexity, written for this demo in the TinyStories register. */
    public static final List<String> HELD_OUT_STORIES = List.of(
            "Once upon a time, there was a little boy named Jack. Jack liked to play with his blocks. One day, he built a tall"
                    + " tower. His sister came and looked at it. They played together until it was time for dinner.",
            "Anna went to the beach with her dad. They made a big sand castle with a flag on top. Then they ate apples and"
                    + " watched the boats on the water.",
            "There was a small bird who lived in a tree. Every morning, the bird sang a song. A girl named Kim heard the song"
                    + " and waved at the bird from her window.");

    private SentimentSweepDemo() {}

    /** The happy prompts (templates × names). */
    public static List<String> happyPrompts() {
        return fill(0);
    }

    /** The sad prompts, pairwise with {@link #happyPrompts()}. */
    public static List<String> sadPrompts() {
        return fill(1);
    }

    private static List<String> fill(int side) {
        List<String> out = new ArrayList<>();
        for (String[] t : TEMPLATES) {
            for (String[] n : NAMES) {
                out.add(t[side].replace("{N}", n[0]).replace("{P}", n[1]));
            }
        }
        return out;
    }

    /**
     * The demo's vector set: per block, the mean of resid_post at the last prompt token over the
     * happy prompts minus the same over the sad ones ({@link Extraction}, mean difference), each
     * block's vector scaled to length 1. Leaves the engine without hooks.
     */
    public static VectorSet happyMinusSad(InferenceEngine engine, Tokenizer tokenizer, String modelName) {
        List<ContrastivePair> pairs = new ArrayList<>();
        List<String> happy = happyPrompts(), sad = sadPrompts();
        for (int i = 0; i < happy.size(); i++) {
            pairs.add(new ContrastivePair(happy.get(i), sad.get(i)));
        }
        List<Integer> layers = IntStream.range(0, engine.config().nLayers()).boxed().toList();
        Extraction.Request request = new Extraction.Request(SiteKind.RESID_POST, layers, PositionMode.LAST,
                Extraction.Method.MEAN_DIFFERENCE, Magnitude.UNIT, PairedPca.Centring.PAIR_CENTRED,
                LinearProbe.Options.defaults(), null, false);
        Provenance provenance = Provenance.of(modelName, "", "", "", List.of())
                .with("dataset", "SentimentSweepDemo happy/sad story sentences (" + pairs.size() + " pairs)");
        return Extraction.extract(engine, CapturePrompts.pairs(tokenizer, pairs, false), request, provenance).normalised();
    }

    /** {@code strength × unit(set[layer])} (a length, jsteer's strength convention) added to the set's site at every position. */
    public static SteeringFactory addEverywhere(VectorSet set, LlamaConfig config) {
        return (layer, strength) -> set.interventions(List.of(layer), strength, Positions.ALL);
    }

    /**
     * The demo's sweep settings: story prompts, neutral KL prompts, perplexity on the held-out
     * stories, {@code samples} samples of 64 tokens at T = 0.8 (the README uses 50).
     */
    public static SweepConfig config(List<Integer> layers, List<Double> strengths, int samples, long seed) {
        return SweepConfig.builder()
                .layers(layers)
                .strengths(strengths)
                .prompts(STORY_PROMPTS)
                .samples(samples)
                .maxTokens(64)
                .temperature(0.8f)
                .seed(seed)
                .klPrompts(NEUTRAL_PROMPTS)
                .perplexityTexts(HELD_OUT_STORIES)
                .build();
    }

    /** Computes the happy−sad directions on {@code engine} and runs the sweep with AFINN sentiment. */
    public static SweepResult run(InferenceEngine engine, Tokenizer tokenizer, String modelName, AfinnLexicon lexicon,
                                  SweepConfig config) {
        VectorSet v = happyMinusSad(engine, tokenizer, modelName);
        return new SweepRunner(engine, tokenizer, modelName).run(config, BehaviourMetric.afinnSentiment(lexicon),
                "resid_post += strength x unit(mean happy - mean sad), last prompt token, " + happyPrompts().size()
                        + " paired story sentences; all positions",
                addEverywhere(v, engine.config()));
    }
}
