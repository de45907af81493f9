package io.jsteer.steering.data;

/** Two texts that differ in the behaviour to steer: the positive shows it, the negative its opposite. */
public record ContrastivePair(String positive, String negative) {

    public ContrastivePair {
        if (positive == null || negative == null) {
            throw new IllegalArgumentException("a contrastive pair needs both texts");
        }
    }
}
