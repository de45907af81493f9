package io.jsteer.steering.kts.data;

import java.util.List;

/** A named steering concept: pairs of (concept sentence, neutral or opposite sentence). */
public record Concept(String name, List<ContrastPair> pairs) {

    public Concept {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("concept '" + name + "' has no contrast pairs");
        }
        pairs = List.copyOf(pairs);
    }
}
