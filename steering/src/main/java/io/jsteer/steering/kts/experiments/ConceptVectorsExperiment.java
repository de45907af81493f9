package io.jsteer.steering.kts.experiments;

import io.jsteer.model.InferenceEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The KTS concept pool and target vectors as read from files (item 1 of issue 17): every pool
 * entry and the target rendered by one {@link PromptFormat} and turned into a mean-difference
 * vector on the original model and, when an adapter is given, on the KTS model. The report shows
 * per entry the pairs used, the raw vector norm over the steered blocks, its cosine with the target
 * (a pool that contains the target's direction would make the held-out claim void), and the cosine
 * between the original's and the KTS model's vector (how far KTS moved the concept).
 */
public final class ConceptVectorsExperiment {

    public record Row(String name, boolean target, int pairs, double normOriginal, double cosineWithTarget, double normKts,
                      double cosineOriginalKts, List<String> firstPair) {}

    public record Report(String model, String source, String promptFormat, List<Integer> blocks, int poolEntries,
                         String target, List<Row> rows) {}

    private ConceptVectorsExperiment() {}

    /** Uses raw vectors (norms are the point here) whatever {@code models.normalise()} says. */
    public static Report run(String modelName, String source, SteeredModels models, PromptFormat format,
                             List<ConceptFiles.NamedPairs> pool, ConceptFiles.NamedPairs target, Consumer<String> progress) {
        SteeredModels raw = models.normalise() ? models.withRawVectors() : models;
        List<ConceptFiles.NamedPairs> all = new ArrayList<>();
        all.add(target);
        all.addAll(pool);
        float[][][] orig = new float[all.size()][][], kts = new float[all.size()][][];
        try (InferenceEngine o = raw.engine(false); InferenceEngine k = raw.hasKts() ? raw.engine(true) : null) {
            for (int i = 0; i < all.size(); i++) {
                progress.accept(all.get(i).name());
                List<int[][]> ids = raw.render(format, all.get(i).pairs());
                orig[i] = raw.vector(o, ids);
                kts[i] = k == null ? null : raw.vector(k, ids);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            var e = all.get(i);
            PromptPair p = e.pairs().getFirst();
            rows.add(new Row(e.name(), i == 0, e.pairs().size(), SteeredModels.norm(orig[i]), cosine(orig[i], orig[0]),
                    kts[i] == null ? Double.NaN : SteeredModels.norm(kts[i]),
                    kts[i] == null ? Double.NaN : cosine(orig[i], kts[i]),
                    List.of(p.firstUser() + (p.firstAnswer().isEmpty() ? "" : " | " + p.firstAnswer()),
                            p.secondUser() + (p.secondAnswer().isEmpty() ? "" : " | " + p.secondAnswer()))));
        }
        return new Report(modelName, source, format.describe(), raw.blocks(), pool.size(), target.name(), rows);
    }

    /** Cosine of two [nLayers][dim] vectors over all their blocks. */
    public static double cosine(float[][] a, float[][] b) {
        double dot = 0, na = 0, nb = 0;
        for (int l = 0; l < a.length; l++) {
            if (a[l] == null || b[l] == null) {
                continue;
            }
            for (int i = 0; i < a[l].length; i++) {
                dot += (double) a[l][i] * b[l][i];
                na += (double) a[l][i] * a[l][i];
                nb += (double) b[l][i] * b[l][i];
            }
        }
        return dot / Math.sqrt(na * nb);
    }

    public static List<ExperimentReport.Table> tables(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (Row x : r.rows()) {
            rows.add(List.of(x.name() + (x.target() ? " (target)" : ""), String.valueOf(x.pairs()), String.format("%.4f", x.normOriginal()),
                    ExperimentReport.f3(x.cosineWithTarget()), Double.isNaN(x.normKts()) ? "-" : String.format("%.4f", x.normKts()),
                    ExperimentReport.f3(x.cosineOriginalKts())));
        }
        return List.of(new ExperimentReport.Table("Pool and target vectors (raw mean differences over blocks " + r.blocks() + ")",
                List.of("entry", "pairs", "norm (original)", "cos with target", "norm (KTS)", "cos original vs KTS"), rows));
    }
}
