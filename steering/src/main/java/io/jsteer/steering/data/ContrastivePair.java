package io.jsteer.steering.data;

/**
 * Two texts that differ in the behaviour to steer: the positive shows it, the negative its opposite.
 * Every steering vector read from pairs is {@code mean(h(positive) − h(negative))}, so a positive
 * multiplier pushes towards {@code positive} (CAA, mean difference, KTS pools and targets alike).
 */
public record ContrastivePair(String positive, String negative) {

    public ContrastivePair {
        if (positive == null || negative == null) {
            throw new IllegalArgumentException("a contrastive pair needs both texts");
        }
    }
}
