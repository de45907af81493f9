package io.jsteer.steering.kts.data;

/**
 * Two texts that differ in one attribute. Sign convention (spec §6.4): the vector is
 * {@code mean(h(positive) − h(negative))}, so a positive multiplier pushes towards {@code positive}.
 */
public record ContrastPair(String positive, String negative) {

    public ContrastPair {
        if (positive == null || positive.isBlank() || negative == null || negative.isBlank()) {
            throw new IllegalArgumentException("a contrast pair needs two non-empty texts, got '" + positive
                    + "' / '" + negative + "'");
        }
    }
}
