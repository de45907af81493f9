package io.jsteer.steering.report;

import java.util.Map;

/** Axis and column titles for the metric ids that files carry ({@code afinn_sentiment} → words a slide can show). */
public final class MetricNames {

    private static final Map<String, String> HUMAN = Map.of(
            "afinn_sentiment", "sentiment (AFINN valence sum per text)",
            "afinn_per_word", "sentiment per word (AFINN)",
            "refusal_rate", "refusal rate (share of texts)",
            "ab_matching_probability", "p(matching answer), A/B items",
            "ab_logit_difference", "logit(matching) − logit(other), A/B items");

    private MetricNames() {}

    /** The human title of {@code id}, or the id itself when it is not one of ours. */
    public static String human(String id) {
        return HUMAN.getOrDefault(id, id);
    }
}
