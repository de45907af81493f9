package io.jsteer.steering.lens;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A logit lens of one prompt.
 *
 * @param tokens    the token ids of the positions read (the last {@code window} of the prompt)
 * @param first     the prompt position of {@code tokens[0]}
 * @param layers    [layer][position − first] → the lens there
 * @param output    the model's real next-token distribution after the whole prompt (for checks)
 */
public record LensResult(int[] tokens, int first, List<List<Cell>> layers, @JsonIgnore Distribution output) {

    /** One token and its lens probability. */
    public record Top(int id, double probability) {}

    /**
     * @param residualNorm ‖resid_post‖₂ at this block and position
     * @param top          the most probable tokens under the lens, most probable first
     * @param distribution the whole lens distribution (not written to JSON)
     */
    public record Cell(double residualNorm, List<Top> top, @JsonIgnore Distribution distribution) {}

    /** A softmax distribution over the vocabulary, in double precision. */
    public record Distribution(double[] p) {

        public static Distribution of(float[] logits) {
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits) {
                max = Math.max(max, v);
            }
            double[] p = new double[logits.length];
            double sum = 0;
            for (int i = 0; i < p.length; i++) {
                p[i] = Math.exp(logits[i] - max);
                sum += p[i];
            }
            for (int i = 0; i < p.length; i++) {
                p[i] /= sum;
            }
            return new Distribution(p);
        }

        /** The k most probable tokens, ties by lower id. */
        public List<Top> top(int k) {
            Integer[] ids = new Integer[p.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = i;
            }
            Arrays.sort(ids, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
            List<Top> out = new ArrayList<>(k);
            for (int i = 0; i < Math.min(k, ids.length); i++) {
                out.add(new Top(ids[i], p[ids[i]]));
            }
            return out;
        }

        /** KL(this ‖ other) in nats. */
        public double kl(Distribution other) {
            double kl = 0;
            for (int i = 0; i < p.length; i++) {
                if (p[i] > 0) {
                    kl += p[i] * (Math.log(p[i]) - Math.log(Math.max(other.p[i], Double.MIN_NORMAL)));
                }
            }
            return Math.max(0, kl);
        }
    }

    /** The lens at the last position read, per layer. */
    public List<Cell> lastPosition() {
        return layers.stream().map(List::getLast).toList();
    }
}
