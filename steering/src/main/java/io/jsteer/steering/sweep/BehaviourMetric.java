package io.jsteer.steering.sweep;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.eval.AbBehaviourScore;
import io.jsteer.steering.data.AbItem;
import io.jsteer.steering.eval.AfinnLexicon;
import io.jsteer.steering.eval.AfinnSentiment;
import io.jsteer.steering.eval.RefusalPhrases;
import java.util.List;
import java.util.Map;

/**
 * The behaviour a sweep tries to move, scored once per cell. Metrics on open generation read the
 * cell's sampled texts; the A/B score reads the steered model itself.
 */
public interface BehaviourMetric {

    /** A short name for files and plots, e.g. {@code afinn_sentiment}. */
    String name();

    /** Whether {@link #score} reads the generated texts; if not, a sweep may sample none (then it reports no degeneration). */
    boolean usesGenerations();

    /**
     * @param steered     the engine with the cell's hooks set
     * @param tokenizer   the model's tokenizer
     * @param generations the cell's sampled continuations (prompt not included)
     */
    MetricValue score(InferenceEngine steered, Tokenizer tokenizer, List<String> generations);

    /** AFINN sentiment: value = mean over texts of the valence sum; details: mean per word. */
    static BehaviourMetric afinnSentiment(AfinnLexicon lexicon) {
        AfinnSentiment sentiment = new AfinnSentiment(lexicon);
        return new BehaviourMetric() {
            @Override
            public String name() { return "afinn_sentiment"; }

            @Override
            public boolean usesGenerations() { return true; }

            @Override
            public MetricValue score(InferenceEngine steered, Tokenizer tokenizer, List<String> generations) {
                AfinnSentiment.CorpusSentiment c = sentiment.score(generations);
                List<Double> each = generations.stream().map(t -> (double) sentiment.score(t).sum()).toList();
                return new MetricValue(c.meanSum(), Map.of("afinn_per_word", c.meanPerWord()), each);
            }
        };
    }

    /** Refusal-phrase rate of the generations, in [0, 1]. */
    static BehaviourMetric refusalRate(RefusalPhrases phrases) {
        return new BehaviourMetric() {
            @Override
            public String name() { return "refusal_rate"; }

            @Override
            public boolean usesGenerations() { return true; }

            @Override
            public MetricValue score(InferenceEngine steered, Tokenizer tokenizer, List<String> generations) {
                List<Double> each = generations.stream().map(t -> phrases.refuses(t) ? 1.0 : 0.0).toList();
                return new MetricValue(phrases.rate(generations), Map.of(), each);
            }
        };
    }

    /** CAA A/B score: value = mean p(matching letter); details: mean logit difference. */
    static BehaviourMetric abScore(List<AbItem> items) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("the A/B behaviour metric needs at least one item");
        }
        List<AbItem> copy = List.copyOf(items);
        return new BehaviourMetric() {
            @Override
            public String name() { return "ab_matching_probability"; }

            @Override
            public boolean usesGenerations() { return false; }

            @Override
            public MetricValue score(InferenceEngine steered, Tokenizer tokenizer, List<String> generations) {
                AbBehaviourScore scorer = new AbBehaviourScore(steered, tokenizer);
                List<AbBehaviourScore.ItemScore> each = copy.stream().map(scorer::score).toList();
                double diff = each.stream().mapToDouble(AbBehaviourScore.ItemScore::logitDifference).average().orElseThrow();
                return MetricValue.meanOf(each.stream().map(AbBehaviourScore.ItemScore::matchingProbability).toList(),
                        Map.of("ab_logit_difference", diff));
            }
        };
    }
}
