package io.jsteer.steering.vectors;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.ActivationStore;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.MeanAccumulator;
import io.jsteer.steering.capture.PositionMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One call from prompts to a vector set: capture at the asked layers, then the method. Mean
 * difference and ablation use running sums (memory independent of the dataset size); PCA and
 * probes need every row, kept in memory or, with {@code storeDir}, streamed to disk and mapped.
 * Prompts are labelled 1 (positive / matching / harmful) and 0 (the other class), see
 * {@link io.jsteer.steering.capture.CapturePrompts}.
 */
public final class Extraction {

    public enum Method {
        /** mean(1) − mean(0); CAA when the prompts are A/B items captured at the answer letter. */
        MEAN_DIFFERENCE("mean_difference"),
        /** First principal component of paired differences, sign-aligned, scaled by {@code magnitude}. */
        PCA("pca"),
        /** Normalised logistic-probe weights, scaled by {@code magnitude}; held-out accuracy in the provenance. */
        PROBE("probe"),
        /** Unit mean(1) − mean(0), to project out (refusal direction). */
        ABLATION("ablation");

        private final String label;

        Method(String label) {
            this.label = label;
        }

        public String label() { return label; }
    }

    /**
     * @param kind      site kind, e.g. RESID_POST
     * @param layers    layers to capture (0-based)
     * @param positions which tokens to read
     * @param method    the vector method
     * @param magnitude length of PCA / probe directions per layer
     * @param centring  PCA centring
     * @param probe     probe options
     * @param storeDir  where to stream rows for PCA / probe (null: memory)
     * @param progress  progress bar on stderr
     */
    public record Request(SiteKind kind, List<Integer> layers, PositionMode positions, Method method, Magnitude magnitude,
                          PairedPca.Centring centring, LinearProbe.Options probe, Path storeDir, boolean progress) {

        public Request {
            layers = List.copyOf(layers);
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("extraction needs at least one layer");
            }
        }

        /**
         * The usual settings: PCA / probe directions scaled to the mean-difference norm, pair-centred
         * PCA, default probe options, rows in memory, progress bar on.
         */
        public static Request of(SiteKind kind, List<Integer> layers, PositionMode positions, Method method) {
            return new Request(kind, layers, positions, method, Magnitude.MEAN_DIFF_NORM, PairedPca.Centring.PAIR_CENTRED,
                    LinearProbe.Options.defaults(), null, true);
        }
    }

    private Extraction() {}

    /**
     * @param provenance model and dataset of the result; its method is replaced by the request's,
     *                   its positions are kept when not empty (e.g. "AT answer letter") and are
     *                   the request's mode otherwise; method details are added to its extra map
     */
    public static VectorSet extract(InferenceEngine engine, List<CapturePrompt> prompts, Request r, Provenance provenance) {
        List<Site> sites = sites(r);
        ActivationCapture capture = new ActivationCapture(engine, sites, r.positions());
        int dim = engine.config().dim();
        switch (r.method()) {
            case MEAN_DIFFERENCE, ABLATION -> {
                MeanAccumulator acc = new MeanAccumulator(sites, dim, 2);
                capture.run(prompts, acc, null, r.progress());
                return fromSums(acc, r, provenance);
            }
            case PCA, PROBE -> {
                if (r.storeDir() == null) {
                    InMemoryActivations mem = new InMemoryActivations(sites, dim);
                    capture.run(prompts, mem, null, r.progress());
                    return fromRows(mem, r, provenance);
                }
                try {
                    try (ActivationStore.Writer w = ActivationStore.create(r.storeDir(), sites, dim, r.positions(),
                            Map.of("model", provenance.model()))) {
                        capture.run(prompts, w, null, r.progress());
                    }
                    try (ActivationStore store = ActivationStore.open(r.storeDir())) {
                        return fromRows(store, r, provenance);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot store activations in " + r.storeDir(), e);
                }
            }
            default -> throw new IllegalStateException(r.method().toString());
        }
    }

    /** The sites a request captures, in the order of its layers: the order of a {@link MeanAccumulator}'s sums. */
    public static List<Site> sites(Request r) {
        return r.layers().stream().map(l -> new Site(r.kind(), l)).toList();
    }

    /**
     * The second half of {@link #extract} for the methods that need only running sums (mean
     * difference, ablation): from an accumulator over {@link #sites(Request)} filled by one
     * capture or merged from the {@link MeanAccumulator.Partial}s of several.
     */
    public static VectorSet fromSums(MeanAccumulator acc, Request r, Provenance provenance) {
        if (r.method() != Method.MEAN_DIFFERENCE && r.method() != Method.ABLATION) {
            throw new IllegalArgumentException(r.method().label() + " needs every captured row, not running sums");
        }
        Map<String, Object> extra = new LinkedHashMap<>(provenance.extra());
        SortedMap<Integer, float[]> vectors = r.method() == Method.ABLATION ? AblationDirection.of(acc, r.kind()) : MeanDifference.of(acc, r.kind());
        Site first = acc.sites().getFirst();
        extra.put("counts", Map.of("positive", acc.count(first, 1), "negative", acc.count(first, 0)));
        SortedMap<Integer, Double> residNorms = new TreeMap<>();
        for (Site s : acc.sites()) {
            residNorms.put(s.layer(), acc.meanNorm(s));
        }
        return result(vectors, r, provenance, extra).withResidNorms(residNorms);
    }

    /**
     * The second half of {@link #extract} from captured rows (any method; PCA and probes need
     * them): rows in prompt order, as one capture over all prompts writes them.
     */
    public static VectorSet fromRows(Activations acts, Request r, Provenance provenance) {
        Map<String, Object> extra = new LinkedHashMap<>(provenance.extra());
        SortedMap<Integer, float[]> vectors = switch (r.method()) {
            case MEAN_DIFFERENCE -> MeanDifference.of(acts, r.kind());
            case ABLATION -> AblationDirection.of(acts, r.kind());
            case PCA, PROBE -> rowMethod(acts, r, extra);
        };
        SortedMap<Integer, Double> residNorms = new TreeMap<>();
        for (Site s : sites(r)) {
            residNorms.put(s.layer(), meanNorm(acts, s));
        }
        return result(vectors, r, provenance, extra).withResidNorms(residNorms);
    }

    /** The mean L2 norm of every captured row at {@code site} (all classes): the stream's typical size there. */
    private static double meanNorm(Activations acts, Site site) {
        float[] v = new float[acts.dim()];
        double sum = 0;
        for (int row = 0; row < acts.rows(); row++) {
            acts.copy(site, row, v);
            sum += VectorAlgebra.norm(v);
        }
        return sum / acts.rows();
    }

    private static VectorSet result(SortedMap<Integer, float[]> vectors, Request r, Provenance provenance, Map<String, Object> extra) {
        String positions = provenance.positions().isEmpty() ? r.positions().name() : provenance.positions();
        Provenance p = new Provenance(provenance.model(), provenance.modelSha256(), r.method().label(), positions,
                provenance.datasets(), provenance.createdAt(), provenance.jsteerVersion(), extra);
        return new VectorSet(r.kind(), vectors, p);
    }

    private static SortedMap<Integer, float[]> rowMethod(Activations acts, Request r, Map<String, Object> extra) {
        extra.put("magnitude", r.magnitude().name());
        if (r.method() == Method.PCA) {
            return pcaVectors(PairedPca.compute(acts, r.kind(), r.centring(), r.magnitude()), r, extra);
        }
        LinearProbe.Result probe = LinearProbe.train(acts, r.kind(), r.probe());
        extra.put("probe_held_out_accuracy", keyed(probe.heldOutAccuracy()));
        extra.put("probe_best_layers", probe.bestLayers(probe.layers().size()));
        extra.put("probe_l2", r.probe().l2());
        SortedMap<Integer, float[]> out = new TreeMap<>();
        for (Map.Entry<Integer, float[]> e : probe.directions().entrySet()) {
            Site site = new Site(r.kind(), e.getKey());
            ClassStatistics stats = ClassStatistics.of(acts, site);
            double length = switch (r.magnitude()) {
                case UNIT -> 1;
                case MEAN_ACTIVATION_NORM -> stats.meanNorm();
                case MEAN_DIFF_NORM -> VectorAlgebra.norm(stats.difference());
            };
            out.put(e.getKey(), VectorAlgebra.scale(e.getValue(), length));
        }
        return out;
    }

    /**
     * The second half of {@link #extract} for PCA from a result computed elsewhere, e.g. by
     * {@link PairedPca#fromScatter} over streamed statistics: the same provenance as from rows,
     * with {@code residNorms} the mean norm of every captured row per layer (see {@link #fromRows}).
     */
    public static VectorSet fromPca(PairedPca.Result pca, SortedMap<Integer, Double> residNorms, Request r, Provenance provenance) {
        if (r.method() != Method.PCA) {
            throw new IllegalArgumentException(r.method().label() + " is not PCA");
        }
        Map<String, Object> extra = new LinkedHashMap<>(provenance.extra());
        extra.put("magnitude", r.magnitude().name());
        return result(pcaVectors(pca, r, extra), r, provenance, extra).withResidNorms(residNorms);
    }

    private static SortedMap<Integer, float[]> pcaVectors(PairedPca.Result pca, Request r, Map<String, Object> extra) {
        extra.put("pca_centring", r.centring().name());
        extra.put("pca_explained_variance", keyed(pca.explainedVariance()));
        extra.put("pca_flipped_layers", pca.flipped());
        extra.put("pairs", pca.pairs());
        return pca.vectors();
    }

    private static Map<String, Double> keyed(SortedMap<Integer, Double> m) {
        Map<String, Double> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(Integer.toString(k), v));
        return out;
    }
}
