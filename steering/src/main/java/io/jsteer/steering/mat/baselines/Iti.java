package io.jsteer.steering.mat.baselines;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.mat.MatFeatures;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.vectors.LinearProbe;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Inference-time intervention (Li et al. 2023), the MAT-Steer paper's ITI baseline (spec §5):
 * <ol>
 *   <li>features: every attention head's output (the o_proj input {@code attn_heads:L} cut into heads
 *       of {@code headSize}) at the last token of each choice text {@code "Q: ... A: answer"}, every layer;</li>
 *   <li>one logistic probe per (layer, head), true vs false choices; the {@code K} heads with the best
 *       held-out accuracy are kept (held-out: a seeded quarter of the items, all choices of an item on one side);</li>
 *   <li>per kept head, u = the unit mass-mean shift (mean of true − mean of false) and σ = the standard
 *       deviation of the projections a·u over all rows;</li>
 *   <li>the edit adds α·σ·u to that head's slice, at every position (the reference adds it from the
 *       answer start on in MC scoring; here the question tokens are edited too), no renormalisation.</li>
 * </ol>
 * The edit is one {@link AddVector} per layer that has kept heads (zero outside the heads' slices),
 * so it runs wherever an {@link InterventionSet} does.
 *
 * @param heads    kept heads, best first
 * @param alpha    α (15 in the paper's TruthfulQA setting)
 * @param headSize values per head
 */
public record Iti(List<Head> heads, double alpha, int headSize) implements java.io.Serializable { // fitted once, sent to Spark executors

    /** The reference's K and α. */
    public static final int PAPER_HEADS = 48;
    public static final double PAPER_ALPHA = 15;

    /**
     * @param direction       unit mass-mean shift in the head's space [headSize]
     * @param sigma           std of a·u over the rows
     * @param heldOutAccuracy the probe's accuracy on the held-out items
     */
    public record Head(int layer, int head, double heldOutAccuracy, float[] direction, double sigma) implements java.io.Serializable {}

    public Iti {
        heads = List.copyOf(heads);
        if (!Double.isFinite(alpha)) {
            throw new IllegalArgumentException("ITI alpha must be finite, got " + alpha);
        }
    }

    /** Captures the heads on {@code items} (their choices) and fits. */
    public static Iti fit(InferenceEngine engine, Tokenizer tokenizer, List<McItem> items, int k, double alpha, long seed,
                          boolean progress) {
        return fit(engine, io.jsteer.steering.mat.MatPrompts.plain(tokenizer), items, k, alpha, seed, progress);
    }

    /** Fitted on the choices as {@code prompts} renders them. */
    public static Iti fit(InferenceEngine engine, io.jsteer.steering.mat.MatPrompts prompts, List<McItem> items, int k, double alpha,
                          long seed, boolean progress) {
        LlamaConfig c = engine.config();
        List<Site> sites = ActivationCapture.allLayers(SiteKind.ATTN_HEADS, c.nLayers());
        return fit(MatFeatures.choiceActivations(engine, prompts, sites, items, progress), c.nHeads(), k, alpha, seed);
    }

    /** Fits on captured {@code attn_heads} rows (labels 1 = true, 0 = false; groups = items). */
    public static Iti fit(Activations acts, int nHeads, int k, double alpha, long seed) {
        if (k < 1) {
            throw new IllegalArgumentException("ITI needs at least one head (K = " + k + ")");
        }
        int dim = acts.dim(), hs = dim / nHeads;
        LinearProbe.Options options = new LinearProbe.Options(1e-3, 300, 0.25, seed);
        boolean[] held = LinearProbe.split(acts, options);
        List<Head> all = new ArrayList<>();
        float[] row = new float[dim];
        for (Site site : acts.sites()) {
            if (site.kind() != SiteKind.ATTN_HEADS) {
                continue;
            }
            double[][] x = new double[acts.rows()][];
            int[] y = new int[acts.rows()];
            for (int r = 0; r < acts.rows(); r++) {
                acts.copy(site, r, row);
                x[r] = new double[dim];
                for (int i = 0; i < dim; i++) {
                    x[r][i] = row[i];
                }
                y[r] = acts.info(r).label();
            }
            for (int h = 0; h < nHeads; h++) {
                all.add(head(site.layer(), h, x, y, held, hs, options));
            }
        }
        all.sort(Comparator.comparingDouble((Head h) -> -h.heldOutAccuracy()).thenComparingInt(Head::layer)
                .thenComparingInt(Head::head));
        return new Iti(all.subList(0, Math.min(k, all.size())), alpha, hs);
    }

    private static Head head(int layer, int h, double[][] x, int[] y, boolean[] held, int hs, LinearProbe.Options options) {
        List<double[]> train = new ArrayList<>(), test = new ArrayList<>();
        List<Integer> trainY = new ArrayList<>(), testY = new ArrayList<>();
        double[] meanTrue = new double[hs], meanFalse = new double[hs];
        int nTrue = 0, nFalse = 0;
        for (int r = 0; r < x.length; r++) {
            double[] v = java.util.Arrays.copyOfRange(x[r], h * hs, (h + 1) * hs);
            (held[r] ? test : train).add(v.clone());
            (held[r] ? testY : trainY).add(y[r]);
            double[] m = y[r] == 1 ? meanTrue : meanFalse;
            for (int i = 0; i < hs; i++) {
                m[i] += v[i];
            }
            if (y[r] == 1) {
                nTrue++;
            } else {
                nFalse++;
            }
        }
        LinearProbe.LayerProbe p = LinearProbe.fit(train.toArray(double[][]::new), trainY.stream().mapToInt(Integer::intValue).toArray(),
                test.toArray(double[][]::new), testY.stream().mapToInt(Integer::intValue).toArray(), options,
                "ITI probe of layer " + layer + " head " + h);
        // u = unit(mean true − mean false) [hs]
        float[] u = new float[hs];
        double norm = 0;
        for (int i = 0; i < hs; i++) {
            double d = meanTrue[i] / nTrue - meanFalse[i] / nFalse;
            u[i] = (float) d;
            norm += d * d;
        }
        norm = Math.sqrt(norm);
        for (int i = 0; i < hs; i++) {
            u[i] = norm > 0 ? (float) (u[i] / norm) : 0;
        }
        // σ = std over all rows of a·u
        double s = 0, ss = 0;
        for (double[] r : x) {
            double proj = 0;
            for (int i = 0; i < hs; i++) {
                proj += r[h * hs + i] * u[i];
            }
            s += proj;
            ss += proj * proj;
        }
        double mean = s / x.length;
        double sigma = Math.sqrt(Math.max(0, ss / x.length - mean * mean));
        double acc = Double.isNaN(p.heldOutAccuracy()) ? p.trainAccuracy() : p.heldOutAccuracy();
        return new Head(layer, h, acc, u, sigma);
    }

    /** Per layer with kept heads: the [dim] vector with α·σ_h·u_h in each kept head's slice. */
    public SortedMap<Integer, float[]> layerVectors(int dim) {
        SortedMap<Integer, float[]> out = new TreeMap<>();
        for (Head h : heads) {
            float[] v = out.computeIfAbsent(h.layer(), l -> new float[dim]);
            for (int i = 0; i < headSize; i++) {
                v[h.head() * headSize + i] += (float) (alpha * h.sigma() * h.direction()[i]);
            }
        }
        return out;
    }

    /** The edit as interventions at {@code attn_heads:L}, every position. */
    public InterventionSet interventions(LlamaConfig c) {
        List<io.jsteer.model.intervene.Intervention> items = new ArrayList<>();
        layerVectors(c.dim()).forEach((l, v) -> items.add(AddVector.of(new Site(SiteKind.ATTN_HEADS, l), v, 1, Positions.ALL)));
        return new InterventionSet(items);
    }
}
