package io.jsteer.steering.mat;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.mat.tasks.TaskSource;
import io.jsteer.steering.mat.tasks.McItem;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The paper's layer choice (spec §1): train one module per layer of a range and keep the one
 * with the best dev score, here the mean over tasks of the MC2 (probability mass on true
 * answers; smoother than argmax accuracy on small dev sets). Ties keep the lower layer.
 */
public final class MatLayerSearch {

    /** Dev MC2 of each task with the module of one layer, and their mean. */
    public record LayerScore(int layer, Map<String, Double> devMc2, double meanDevMc2) {}

    public record Outcome(MatTrainingJob.Outcome best, int bestLayer, List<LayerScore> layers) {}

    private MatLayerSearch() {}

    /**
     * @param base     the request whose site kind, tasks, data and settings are used at every layer
     * @param cacheFor the feature cache of a layer (null: none)
     * @param devItems at most this many dev questions per task
     */
    public static Outcome run(LoadedModel model, InferenceEngine engine, MatTrainingJob.Request base, List<Integer> layers,
                              int devItems, IntFunction<Path> cacheFor, PrintStream log) throws IOException {
        for (int layer : layers) {
            if (layer < 0 || layer >= model.config().nLayers()) {
                throw new IllegalArgumentException("--layers: block " + layer + " is not inside 0.." + (model.config().nLayers() - 1));
            }
        }
        SiteKind kind = base.site().kind();
        MatEvaluator eval = new MatEvaluator(engine, base.prompts(model));
        Map<TaskSource, List<McItem>> dev = new LinkedHashMap<>();
        for (TaskSource t : base.tasks()) {
            dev.put(t, t.load(base.dataDir(), base.config().seed()).limit(Integer.MAX_VALUE, devItems).dev());
        }
        List<LayerScore> scores = new ArrayList<>();
        MatTrainingJob.Outcome best = null;
        int bestLayer = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int layer : layers) {
            Site site = new Site(kind, layer);
            MatTrainingJob.Request r = new MatTrainingJob.Request(base.tasks(), base.dataDir(), site, base.trainItems(),
                    base.config(), cacheFor == null ? null : cacheFor.apply(layer), base.tokens(), base.progress(), base.prompts());
            MatTrainingJob.Outcome o = MatTrainingJob.run(model, engine, r, log);
            Map<String, Double> mc2 = new LinkedHashMap<>();
            double mean = 0;
            for (var e : dev.entrySet()) {
                double v = eval.score(e.getKey().label(), e.getValue(), o.checkpoint().parameters(), site,
                        base.progress()).mc2();
                mc2.put(e.getKey().label(), v);
                mean += v / dev.size();
            }
            scores.add(new LayerScore(layer, mc2, mean));
            if (log != null) {
                log.printf(Locale.ROOT, "mat: layer %d: mean dev MC2 %.4f %s%n", layer, mean, mc2);
            }
            if (mean > bestScore) {
                bestScore = mean;
                best = o;
                bestLayer = layer;
            }
        }
        return new Outcome(best, bestLayer, List.copyOf(scores));
    }
}
