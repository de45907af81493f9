package io.jsteer.model;

import java.util.SplittableRandom;

/**
 * Picks the next token from logits: greedy at temperature 0, otherwise softmax(logits / T),
 * restricted to the smallest set of tokens whose probability reaches {@code topP} when
 * 0 &lt; topP &lt; 1. Seeded, so a run is reproducible.
 */
public final class Sampler {

    private final float temperature;
    private final float topP;
    private final SplittableRandom random;
    private float[] probs = new float[0];
    private int[] order = new int[0];

    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("--temperature must be 0 or more, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 1f, 0L);
    }

    public boolean isGreedy() { return temperature == 0f; }

    public int sample(float[] logits, int n) {
        if (temperature == 0f) {
            return argmax(logits, n);
        }
        if (probs.length < n) {
            probs = new float[n];
            order = new int[n];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            probs[i] = (float) Math.exp((logits[i] - max) / temperature);
            sum += probs[i];
        }
        double r = random.nextDouble();
        if (topP >= 1f) {
            double target = r * sum, cdf = 0;
            for (int i = 0; i < n; i++) {
                cdf += probs[i];
                if (cdf > target) {
                    return i;
                }
            }
            return n - 1;
        }
        return sampleTopP(n, sum, r);
    }

    /** Nucleus sampling: sort candidates by probability, keep the head that reaches topP, draw from it. */
    private int sampleTopP(int n, double sum, double r) {
        // Tokens below (1 - topP) / (n - 1) of the mass can never be in the nucleus: drop them before sorting.
        double cutoff = (1 - topP) / (n - 1) * sum;
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (probs[i] >= cutoff) {
                order[m++] = i;
            }
        }
        Integer[] boxed = new Integer[m];
        for (int i = 0; i < m; i++) {
            boxed[i] = order[i];
        }
        java.util.Arrays.sort(boxed, (a, b) -> Float.compare(probs[b], probs[a]));
        double limit = topP * sum, cum = 0;
        int last = m - 1;
        for (int i = 0; i < m; i++) {
            cum += probs[boxed[i]];
            if (cum > limit) {
                last = i;
                break;
            }
        }
        double target = r * cum, cdf = 0;
        for (int i = 0; i <= last; i++) {
            cdf += probs[boxed[i]];
            if (cdf > target) {
                return boxed[i];
            }
        }
        return boxed[last];
    }

    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
