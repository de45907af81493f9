package io.jsteer.steering.mat;

import io.jsteer.model.intervene.GateListener;
import io.jsteer.model.intervene.Site;
import java.util.List;

/**
 * Gate statistics in the style of the paper's Table 2, over a set of texts: the mean gate of
 * each attribute over all tokens, and the mean number of intervened tokens per text (a token
 * counts when any of its gates exceeds 0.5, spec §6).
 *
 * @param attributes         names, length T
 * @param meanGate           [T] mean gate over all tokens of all texts
 * @param openShare          [T] share of all tokens at which that attribute's gate exceeds the threshold
 * @param intervenedPerText  mean count of tokens with a gate above the threshold, per text
 * @param tokensPerText      mean number of tokens per text
 * @param texts              number of texts
 */
public record GateStats(List<String> attributes, double[] meanGate, double[] openShare, double intervenedPerText, double tokensPerText,
                        int texts) {

    public static final double INTERVENED = 0.5;

    /** Accumulates per-token gates text by text. */
    public static final class Accumulator implements GateListener, java.io.Serializable {
        private final List<String> attributes;
        private final double[] gateSums;
        private final long[] opened;
        private long tokens, intervened;
        private int texts;

        public Accumulator(List<String> attributes) {
            this.attributes = List.copyOf(attributes);
            this.gateSums = new double[attributes.size()];
            this.opened = new long[attributes.size()];
        }

        @Override
        public void onGates(Site site, int position, boolean inPrompt, double[] gates) {
            tokens++;
            boolean any = false;
            for (int t = 0; t < gates.length; t++) {
                gateSums[t] += gates[t];
                if (gates[t] > INTERVENED) {
                    opened[t]++;
                    any = true;
                }
            }
            if (any) {
                intervened++;
            }
        }

        /** Marks the end of one text. */
        public void endText() { texts++; }

        /**
         * Adds another accumulator's sums (same attributes) to these: the sums of disjoint sets of
         * texts merge into those of their union, up to the order of the double additions.
         */
        public void merge(Accumulator o) {
            if (!o.attributes.equals(attributes)) {
                throw new IllegalArgumentException("cannot merge gate sums of " + o.attributes + " into " + attributes);
            }
            for (int t = 0; t < gateSums.length; t++) {
                gateSums[t] += o.gateSums[t];
                opened[t] += o.opened[t];
            }
            tokens += o.tokens;
            intervened += o.intervened;
            texts += o.texts;
        }

        public GateStats stats() {
            double[] mean = new double[gateSums.length], open = new double[gateSums.length];
            for (int t = 0; t < mean.length; t++) {
                mean[t] = tokens == 0 ? 0 : gateSums[t] / tokens;
                open[t] = tokens == 0 ? 0 : (double) opened[t] / tokens;
            }
            return new GateStats(attributes, mean, open, texts == 0 ? 0 : (double) intervened / texts,
                    texts == 0 ? 0 : (double) tokens / texts, texts);
        }
    }
}
