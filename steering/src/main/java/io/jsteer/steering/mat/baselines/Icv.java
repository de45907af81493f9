package io.jsteer.steering.mat.baselines;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.HostEdit;
import io.jsteer.model.intervene.Intervention;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.RowInfo;
import io.jsteer.steering.mat.MatFeatures;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.vectors.PairedPca;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * In-context vectors (Liu et al. 2024), the MAT-Steer paper's ICV baseline (spec §5):
 * <ol>
 *   <li>demonstration pairs (x, y) = (a false choice, a true choice) of each train item; the
 *       residual stream after every block ({@code resid_post:L}) at each text's last token;</li>
 *   <li>Δ = h(y) − h(x) flattened across layers [L·d]; the first principal component of the Δs
 *       (centred; its sign turned towards the mean Δ, since a component's sign is arbitrary) plus the
 *       mean Δ, cut back into per-layer vectors v_l;</li>
 *   <li>at run time, at every layer's MLP output ({@code mlp_out:L}, where the reference wraps the MLP)
 *       and every token: c = λ·(1 + max(0, cos(x, −v_l))), x ← normalise(normalise(x) + c·v̂_l)·‖x‖.</li>
 * </ol>
 * The edit is not one of the model's intervention kinds (its strength depends on the activation),
 * so it is compiled to inference hooks only.
 *
 * @param vectors per layer v_l [d]
 * @param lambda  λ (the reference code's default 0.8; tuned per task in the paper)
 */
public record Icv(SortedMap<Integer, float[]> vectors, double lambda) implements java.io.Serializable { // fitted once, sent to Spark executors

    public static final double DEFAULT_LAMBDA = 0.8;

    public Icv {
        vectors = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(vectors));
        if (!Double.isFinite(lambda)) {
            throw new IllegalArgumentException("ICV lambda must be finite, got " + lambda);
        }
    }

    public static Icv fit(InferenceEngine engine, Tokenizer tokenizer, List<McItem> items, double lambda, boolean progress) {
        return fit(engine, io.jsteer.steering.mat.MatPrompts.plain(tokenizer), items, lambda, progress);
    }

    /** Fitted on the choices as {@code prompts} renders them. */
    public static Icv fit(InferenceEngine engine, io.jsteer.steering.mat.MatPrompts prompts, List<McItem> items, double lambda,
                          boolean progress) {
        List<Site> sites = ActivationCapture.allLayers(SiteKind.RESID_POST, engine.config().nLayers());
        return fit(MatFeatures.choiceActivations(engine, prompts, sites, items, progress), lambda);
    }

    /** From captured {@code resid_post} rows: per group (item) its first true (label 1) and first false row make a pair. */
    public static Icv fit(Activations acts, double lambda) {
        List<Site> sites = acts.sites().stream().filter(s -> s.kind() == SiteKind.RESID_POST).toList();
        Map<Integer, int[]> byGroup = new HashMap<>();
        List<Integer> order = new ArrayList<>();
        for (int r = 0; r < acts.rows(); r++) {
            RowInfo info = acts.info(r);
            int[] pair = byGroup.computeIfAbsent(info.group(), g -> {
                order.add(g);
                return new int[] {-1, -1};
            });
            int slot = info.label() == 1 ? 0 : 1;
            if (pair[slot] < 0) {
                pair[slot] = r;
            }
        }
        int d = acts.dim(), width = sites.size() * d;
        List<double[]> deltas = new ArrayList<>();
        float[] a = new float[d], b = new float[d];
        for (int g : order) {
            int[] pair = byGroup.get(g);
            if (pair[0] < 0 || pair[1] < 0) {
                continue;
            }
            double[] delta = new double[width];               // [L·d], layer-major
            for (int s = 0; s < sites.size(); s++) {
                acts.copy(sites.get(s), pair[0], a);
                acts.copy(sites.get(s), pair[1], b);
                for (int i = 0; i < d; i++) {
                    delta[s * d + i] = (double) a[i] - b[i];
                }
            }
            deltas.add(delta);
        }
        if (deltas.size() < 2) {
            throw new IllegalArgumentException("ICV needs at least two items with a true and a false choice, got " + deltas.size());
        }
        double[][] x = deltas.toArray(double[][]::new);
        float[] mean = new float[width];
        for (double[] row : x) {
            for (int i = 0; i < width; i++) {
                mean[i] += (float) (row[i] / x.length);
            }
        }
        PairedPca.centre(x);
        float[] pc = PairedPca.alignSign(PairedPca.firstComponent(x, new double[1]), mean);
        SortedMap<Integer, float[]> out = new TreeMap<>();
        for (int s = 0; s < sites.size(); s++) {
            float[] v = new float[d];
            for (int i = 0; i < d; i++) {
                v[i] = pc[s * d + i] + mean[s * d + i];
            }
            out.put(sites.get(s).layer(), v);
        }
        return new Icv(out, lambda);
    }

    /** The edit at every layer's MLP output, as Java code through the steering door (validated against the model's width and depth). */
    public InterventionSet interventions(LlamaConfig c) {
        List<Intervention> edits = new ArrayList<>();
        vectors.forEach((l, v) -> {
            if (v.length != c.dim() || l >= c.nLayers()) {
                throw new IllegalArgumentException("ICV vector of layer " + l + " (width " + v.length + ") does not fit the model ("
                        + c.nLayers() + " blocks of width " + c.dim() + ")");
            }
            edits.add(new HostEdit(new Site(SiteKind.MLP_OUT, l), "ICV edit", v.length, gates -> hook(v, lambda)));
        });
        return new InterventionSet(edits);
    }

    /** x ← normalise(normalise(x) + c·v̂)·‖x‖ with c = λ(1 + max(0, cos(x, −v))). */
    static ActivationHook hook(float[] v, double lambda) {
        double vn = 0;
        for (float f : v) {
            vn += (double) f * f;
        }
        vn = Math.sqrt(vn);
        double[] unit = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            unit[i] = vn > 0 ? v[i] / vn : 0;
        }
        return (site, position, inPrompt, x) -> {
            int d = unit.length;
            double norm = 0, dot = 0;
            for (int i = 0; i < d; i++) {
                norm += (double) x[i] * x[i];
                dot += x[i] * unit[i];
            }
            norm = Math.sqrt(norm);
            if (norm == 0) {
                return;
            }
            double cosToMinusV = -dot / norm;
            double c = lambda * (1 + Math.max(0, cosToMinusV));
            double[] y = new double[d];
            double yn = 0;
            for (int i = 0; i < d; i++) {
                y[i] = x[i] / norm + c * unit[i];
                yn += y[i] * y[i];
            }
            yn = Math.sqrt(yn);
            for (int i = 0; i < d; i++) {
                x[i] = (float) (yn > 0 ? y[i] / yn * norm : x[i]);
            }
        };
    }
}
