package io.jsteer.steering.mat;

import java.util.List;
import java.util.Random;

/**
 * The reference code's balanced mini-batch sampler (spec §3): per attribute and polarity
 * k = min(⌊B/(2T)⌋, n_min) rows, drawn uniformly without replacement inside a step and
 * independently across steps; ⌈n_min/k⌉ steps per epoch; plus k fresh positives per
 * attribute for the MMD target set (from the attribute's target pool, which is its positives
 * unless the features name a narrower one).
 */
public final class BalancedSampler {

    /** Row indices of one step, per attribute: positives, negatives, MMD targets (each k long). */
    public record Draw(int[][] positives, int[][] negatives, int[][] mmdTargets) {}

    private final List<AttributeFeatures> attributes;
    private final int k, minPool;
    private final Random rng;

    public BalancedSampler(List<AttributeFeatures> attributes, int batchSize, long seed) {
        if (batchSize < 2 * attributes.size()) {
            throw new IllegalArgumentException("batch size " + batchSize + " is below 2 × " + attributes.size()
                    + " attributes: no room for one positive and one negative each");
        }
        int min = Integer.MAX_VALUE;
        for (AttributeFeatures a : attributes) {
            min = Math.min(min, Math.min(Math.min(a.positives().length, a.negatives().length), a.targets().length));
        }
        this.attributes = List.copyOf(attributes);
        this.minPool = min;
        this.k = Math.min(batchSize / (2 * attributes.size()), min);
        this.rng = new Random(seed);
    }

    /** Rows per attribute and polarity in a step. */
    public int k() { return k; }

    /** The smallest pool over all attributes and polarities. */
    public int minPool() { return minPool; }

    public int stepsPerEpoch() { return (minPool + k - 1) / k; }

    public Draw next() {
        int t = attributes.size();
        int[][] pos = new int[t][], neg = new int[t][], targets = new int[t][];
        for (int i = 0; i < t; i++) {
            AttributeFeatures a = attributes.get(i);
            pos[i] = withoutReplacement(a.positives().length);
            neg[i] = withoutReplacement(a.negatives().length);
            targets[i] = withoutReplacement(a.targets().length);
        }
        return new Draw(pos, neg, targets);
    }

    /** k distinct indices of 0..n-1 (partial Fisher–Yates). */
    private int[] withoutReplacement(int n) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int tmp = all[i];
            all[i] = all[j];
            all[j] = tmp;
        }
        return java.util.Arrays.copyOf(all, k);
    }
}
