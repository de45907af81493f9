package io.jsteer.steering.kts.data;

import io.jsteer.steering.data.ContrastivePair;
import java.util.List;

/** A named steering concept: pairs of (concept sentence, neutral or opposite sentence). */
public record Concept(String name, List<ContrastivePair> pairs) {

    public Concept {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("concept '" + name + "' has no contrast pairs");
        }
        pairs = List.copyOf(pairs);
    }
}
