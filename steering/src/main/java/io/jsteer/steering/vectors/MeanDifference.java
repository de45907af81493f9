package io.jsteer.steering.vectors;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.MeanAccumulator;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.steering.capture.ActivationCapture;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Contrastive mean difference, mean(label 1) − mean(label 0), per layer. On A/B data captured at
 * the answer letter (matching = 1, not matching = 0) this is CAA; on contrastive pairs captured at
 * the last token it is the classic difference-in-means steering vector.
 *
 * <p>Two ways in: from captured activations ({@link #of}, the extract path: a map per captured
 * layer), and pair by pair from a residual reader ({@link #compute}, {@link #computeIds}: KTS's
 * RepE "cluster mean", spec §1, §6.4, {@code v_l = mean over pairs of (h_l(first) − h_l(second))}
 * at each sequence's last token, {@code [nLayers][dim]} with null rows outside the steered
 * blocks, which is the layout {@code BlockSteering} takes).
 */
public final class MeanDifference {

    private MeanDifference() {}

    /** From running sums (bounded memory), for every layer captured at {@code kind}. */
    public static SortedMap<Integer, float[]> of(MeanAccumulator acc, SiteKind kind) {
        SortedMap<Integer, float[]> out = new TreeMap<>();
        for (Site s : acc.sites()) {
            if (s.kind() == kind) {
                out.put(s.layer(), acc.meanDifference(s, 1, 0));
            }
        }
        requireSome(out, kind);
        return out;
    }

    /** From stored rows, for every layer captured at {@code kind}. */
    public static SortedMap<Integer, float[]> of(Activations acts, SiteKind kind) {
        SortedMap<Integer, float[]> out = new TreeMap<>();
        for (Site s : acts.sites()) {
            if (s.kind() == kind) {
                out.put(s.layer(), ClassStatistics.of(acts, s).difference());
            }
        }
        requireSome(out, kind);
        return out;
    }

    static void requireSome(SortedMap<Integer, float[]> out, SiteKind kind) {
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no " + kind.label() + " sites were captured");
        }
    }

    /** [nLayers][dim] vectors, null rows outside {@code blocks}; each text is encoded as BOS + text. */
    public static float[][] compute(ActivationCapture.LastToken reader, Tokenizer tok, List<ContrastivePair> pairs, Set<Integer> blocks,
                                    int nLayers, int dim) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a mean-difference vector needs at least one contrast pair");
        }
        return computeIds(reader, pairs.stream().map(p -> new int[][] {tok.encode(p.positive(), true), tok.encode(p.negative(), true)})
                .toList(), blocks, nLayers, dim);
    }

    /**
     * The same from token ids given as {positive, negative} per pair, e.g. prompts put through a chat
     * template, so that a direction is read under the same template it is applied with.
     */
    public static float[][] computeIds(ActivationCapture.LastToken reader, List<int[][]> pairs, Set<Integer> blocks, int nLayers, int dim) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a mean-difference vector needs at least one contrast pair");
        }
        double[][] sum = new double[nLayers][dim];
        for (int[][] p : pairs) {
            float[][] pos = reader.lastToken(p[0]);
            float[][] neg = reader.lastToken(p[1]);
            for (int l = 0; l < nLayers; l++) {
                for (int i = 0; i < dim; i++) {
                    sum[l][i] += pos[l][i] - neg[l][i];
                }
            }
        }
        float[][] out = new float[nLayers][];
        for (int l : blocks) {
            if (l < 0 || l >= nLayers) {
                throw new IllegalArgumentException("steering block " + l + " is outside 0.." + (nLayers - 1));
            }
            out[l] = new float[dim];
            for (int i = 0; i < dim; i++) {
                out[l][i] = (float) (sum[l][i] / pairs.size());
            }
        }
        return out;
    }

    /**
     * {@code v} scaled so that {@code sqrt(Σ_l ‖v_l‖²) = 1} over its non-null blocks (the ratios
     * between blocks are kept); a zero vector is refused.
     */
    public static float[][] normalised(float[][] v) {
        double sq = 0;
        for (float[] row : v) {
            if (row != null) {
                for (float x : row) {
                    sq += (double) x * x;
                }
            }
        }
        if (!(sq > 0)) {
            throw new IllegalArgumentException("cannot normalise a zero steering vector");
        }
        double inv = 1 / Math.sqrt(sq);
        float[][] out = new float[v.length][];
        for (int l = 0; l < v.length; l++) {
            if (v[l] != null) {
                out[l] = new float[v[l].length];
                for (int i = 0; i < v[l].length; i++) {
                    out[l][i] = (float) (v[l][i] * inv);
                }
            }
        }
        return out;
    }
}
