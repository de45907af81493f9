package io.jsteer.steering.mat;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.mat.tasks.TaskSource;
import io.jsteer.steering.mat.tasks.TaskSplits;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The paper's ablations in one run (spec §4), every row trained on the same features and scored
 * on the same held-out items:
 * <ul>
 *   <li>Table 3 (loss terms and normalisation): the alignment (MMD) term alone, with each other term
 *       alone, the full loss minus each term, minus the norm preservation, and the full loss;</li>
 *   <li>Table 4 (token selection at run time), on the full module: the learned gates against the
 *       same vectors applied ungated at all tokens, at the last question token, or at a random half;</li>
 *   <li>optionally the training-token choice (the default, the answer tokens, against {@code last}
 *       and {@code all}), each with its own features.</li>
 * </ul>
 * The "full" row is exactly the module {@code mat train} writes with the same settings.
 */
public final class MatAblation {

    /** One row: which table, its name, and the per-task scores. */
    public record Row(String table, String variant, List<MatEvaluator.Score> scores, LossReport lossAfter) {}

    /** A training variant of Table 3: its name and how it changes the full config. */
    public record LossVariant(String name, Function<TrainConfig, TrainConfig> change) {}

    private MatAblation() {}

    /** The rows of the paper's Table 3, in its order (alignment = the MMD term, λ_mmd kept). */
    public static List<LossVariant> table3() {
        return List.of(
                new LossVariant("alignment only", c -> c.withWeights(w(c, false, false, false))),
                new LossVariant("alignment + pos", c -> c.withWeights(w(c, true, false, false))),
                new LossVariant("alignment + sparse", c -> c.withWeights(w(c, false, true, false))),
                new LossVariant("alignment + ortho", c -> c.withWeights(w(c, false, false, true))),
                new LossVariant("full - pos", c -> c.withWeights(w(c, false, true, true))),
                new LossVariant("full - sparse", c -> c.withWeights(w(c, true, false, true))),
                new LossVariant("full - ortho", c -> c.withWeights(w(c, true, true, false))),
                new LossVariant("full - normalisation", c -> c.withNormPreserve(false)),
                new LossVariant("full", c -> c));
    }

    private static MatLoss.Weights w(TrainConfig c, boolean pos, boolean sparse, boolean ortho) {
        MatLoss.Weights w = c.weights();
        return new MatLoss.Weights(w.mmd(), pos ? w.pos() : 0, sparse ? w.sparse() : 0, ortho ? w.ortho() : 0);
    }

    /**
     * @param evalItems    test (or dev) items per task
     * @param split        the split scored
     * @param trainTokens  extra training-token rows (empty: none); each extracts its own features
     * @param cacheFor     a feature cache path per training-token choice (null: no cache)
     */
    public static List<Row> run(LoadedModel model, InferenceEngine engine, MatTrainingJob.Request request, int evalItems, String split,
                                List<TrainTokens> trainTokens, Function<TrainTokens, Path> cacheFor, PrintStream log) throws IOException {
        List<TaskSplits> tasks = new ArrayList<>();
        for (TaskSource t : request.tasks()) {
            tasks.add(t.load(request.dataDir(), request.config().seed()).limit(Integer.MAX_VALUE, evalItems));
        }
        MatEvaluator eval = new MatEvaluator(engine, request.prompts(model));
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("base", "unsteered", score(eval, tasks, split, null, null, MatApplication.PAPER), null));
        MatTrainingJob.Prepared features = MatTrainingJob.prepare(model, engine, request, log);
        MatCheckpoint full = null;
        for (LossVariant v : table3()) {
            progress(log, "table 3: " + v.name());
            MatTrainingJob.Outcome o = MatTrainingJob.train(features, request.with(v.change().apply(request.config())), null);
            MatCheckpoint m = o.checkpoint();
            rows.add(new Row("table 3", v.name(), score(eval, tasks, split, m, request, MatApplication.of(m)), o.result().after()));
            if (v.name().equals("full")) {
                full = m;
            }
        }
        for (MatApplication.Selection s : List.of(MatApplication.Selection.RANDOM, MatApplication.Selection.LAST,
                MatApplication.Selection.ALL, MatApplication.Selection.GATED)) {
            progress(log, "table 4: " + s.label());
            rows.add(new Row("table 4", s == MatApplication.Selection.GATED ? "gated (MAT-Steer)" : s.label(),
                    score(eval, tasks, split, full, request, MatApplication.PAPER.withSelection(s)), null));
        }
        for (TrainTokens t : trainTokens) {
            if (t == request.tokens()) {
                continue;
            }
            progress(log, "training tokens: " + t.label());
            MatTrainingJob.Request r = request.with(t, cacheFor == null ? null : cacheFor.apply(t));
            MatTrainingJob.Outcome o = MatTrainingJob.run(model, engine, r, null);
            rows.add(new Row("train tokens", t.label(), score(eval, tasks, split, o.checkpoint(), request, MatApplication.PAPER),
                    o.result().after()));
        }
        return rows;
    }

    private static void progress(PrintStream log, String what) {
        if (log != null) {
            log.println("mat ablate: " + what);
        }
    }

    private static List<MatEvaluator.Score> score(MatEvaluator eval, List<TaskSplits> tasks, String split, MatCheckpoint m,
                                                  MatTrainingJob.Request request, MatApplication how) {
        List<MatEvaluator.Score> out = new ArrayList<>();
        for (TaskSplits t : tasks) {
            List<McItem> items = t.split(split);
            out.add(m == null ? eval.score(t.task(), items, (io.jsteer.model.intervene.InterventionSet) null, null)
                    : eval.score(t.task(), items, m.parameters(), request.site(), how, null));
        }
        return out;
    }
}
