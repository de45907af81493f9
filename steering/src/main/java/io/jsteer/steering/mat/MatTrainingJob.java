package io.jsteer.steering.mat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Site;
import io.jsteer.steering.mat.tasks.TaskSource;
import io.jsteer.steering.mat.tasks.TaskSplits;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A whole MAT-Steer training run: load and split the tasks, extract (or reuse cached)
 * features (last token, or the tokens --tokens names) of the train split, train, and package the checkpoint with its provenance.
 */
public final class MatTrainingJob {

    /**
     * @param trainItems at most this many train items per task (Integer.MAX_VALUE: all)
     * @param cache      feature cache file, or null for none
     * @param tokens     which tokens of each sample text are features (last, all, answer)
     * @param prompts    how samples become ids; null: the paper's plain strings with the model's tokenizer
     */
    public record Request(List<TaskSource> tasks, Path dataDir, Site site, int trainItems, TrainConfig config, Path cache,
                          TrainTokens tokens, boolean progress, MatPrompts prompts) {

        /** A request with the paper's plain strings. */
        public Request(List<TaskSource> tasks, Path dataDir, Site site, int trainItems, TrainConfig config, Path cache,
                       TrainTokens tokens, boolean progress) {
            this(tasks, dataDir, site, trainItems, config, cache, tokens, progress, null);
        }

        /** The prompts this request renders with for {@code model}. */
        public MatPrompts prompts(LoadedModel model) {
            return prompts != null ? prompts : MatPrompts.plain(model.tokenizer());
        }

        public Request {
            tasks = List.copyOf(tasks);
            java.util.Objects.requireNonNull(tokens, "tokens");
            if (tasks.isEmpty()) {
                throw new IllegalArgumentException("--tasks: name at least one of truthfulqa, bbq, toxigen, sentiment or a FILE.jsonl");
            }
            if (trainItems < 1) {
                throw new IllegalArgumentException("--train-items must be at least 1, got " + trainItems);
            }
        }

        /** The same request with another training config (same features). */
        public Request with(TrainConfig c) {
            return new Request(tasks, dataDir, site, trainItems, c, cache, tokens, progress, prompts);
        }

        /** The same request with samples rendered by {@code p}. */
        public Request with(MatPrompts p) {
            return new Request(tasks, dataDir, site, trainItems, config, cache, tokens, progress, p);
        }

        /** The same request with other training tokens (other features, so another cache file). */
        public Request with(TrainTokens t, Path otherCache) {
            return new Request(tasks, dataDir, site, trainItems, config, otherCache, t, progress, prompts);
        }
    }

    /** Mean gate of each attribute's own gate on its train positives and negatives (features, no LM pass). */
    public record AttributeGates(String attribute, int positives, int negatives, double gateOnPositives, double gateOnNegatives) {}

    public record Outcome(MatCheckpoint checkpoint, MatTrainer.Result result, boolean cacheHit, List<AttributeGates> gatesBefore,
                          List<AttributeGates> gatesAfter) {}

    private MatTrainingJob() {}

    /**
     * The extracted (or cached) train features of a request, reusable by several trainings that
     * differ only in their {@link TrainConfig} (the ablations).
     */
    public record Prepared(List<AttributeFeatures> features, Map<String, String> datasets, String fingerprint, String modelName,
                           boolean cacheHit, MatPrompts prompts) {}

    public static Outcome run(LoadedModel model, InferenceEngine engine, Request r, PrintStream log) throws IOException {
        return train(prepare(model, engine, r, log), r, log);
    }

    /** Loads and splits the tasks and extracts (or reads from the cache) the train features. */
    public static Prepared prepare(LoadedModel model, InferenceEngine engine, Request r, PrintStream log) throws IOException {
        List<TaskSplits> splits = new ArrayList<>();
        Map<String, String> datasets = new LinkedHashMap<>();
        for (TaskSource t : r.tasks()) {
            TaskSplits s = t.load(r.dataDir(), r.config().seed()).limit(r.trainItems(), Integer.MAX_VALUE);
            splits.add(s);
            datasets.putAll(s.files());
        }
        String fingerprint = Fingerprints.model(model.file().path());
        MatPrompts prompts = r.prompts(model);
        String key = cacheKey(fingerprint, r, datasets, prompts);
        Optional<List<AttributeFeatures>> cached = r.cache() == null ? Optional.empty() : FeatureCache.load(r.cache(), key);
        List<AttributeFeatures> features;
        if (cached.isPresent()) {
            features = cached.get();
            if (log != null) {
                log.println("mat: features from the cache " + r.cache());
            }
        } else {
            features = MatFeatures.extract(engine, prompts, r.site(), splits, "train", r.tokens(), r.progress());
            if (r.cache() != null) {
                FeatureCache.save(r.cache(), key, features);
            }
        }
        return new Prepared(features, datasets, fingerprint, model.name(), cached.isPresent(), prompts);
    }

    /** Trains on prepared features with the request's config and packages the checkpoint. */
    public static Outcome train(Prepared prepared, Request r, PrintStream log) {
        return train(prepared, r.site(), r.tokens(), r.config(), r.progress(), log);
    }

    /** Trains on prepared features (of any setting: the QA tasks or HelpSteer) and packages the checkpoint. */
    public static Outcome train(Prepared prepared, Site site, TrainTokens tokens, TrainConfig c, boolean progress, PrintStream log) {
        List<AttributeFeatures> features = prepared.features();
        MatTrainer trainer = new MatTrainer(c, log, progress);
        MatTrainer.Result result = trainer.train(features);
        MatParameters init = MatParameters.initial(result.parameters().attributes(), result.parameters().dim(), c.seed());
        MatCheckpoint.Metadata meta = new MatCheckpoint.Metadata(MatCheckpoint.FORMAT, result.parameters().attributes(),
                result.parameters().dim(), site.toString(), site.layer(), tokens.label(), c.weights().mmd(), c.weights().pos(),
                c.weights().sparse(), c.weights().ortho(), c.bandwidth().toString(), result.sigma(), result.medianDistance(),
                c.batchSize(), result.k(), c.epochs(), c.learningRate(), c.seed(), prepared.modelName(), prepared.fingerprint(),
                prepared.datasets(), result.before(), result.after(), c.thetaNorm(), c.thetaInit().name().toLowerCase(java.util.Locale.ROOT),
                c.normPreserve(), prepared.prompts().label(), prepared.prompts().templateName(), prepared.prompts().system());
        float[][] caa = features.stream().map(AttributeFeatures::meanDifference).toArray(float[][]::new);
        return new Outcome(new MatCheckpoint(result.parameters(), caa, meta), result, prepared.cacheHit(),
                gates(init, features), gates(result.parameters(), features));
    }

    public static List<AttributeGates> gates(MatParameters p, List<AttributeFeatures> features) {
        List<AttributeGates> out = new ArrayList<>();
        double[] g = new double[p.attributeCount()];
        for (int t = 0; t < features.size(); t++) {
            AttributeFeatures f = features.get(t);
            out.add(new AttributeGates(f.name(), f.positives().length, f.negatives().length,
                    meanGate(p, f.positives(), t, g), meanGate(p, f.negatives(), t, g)));
        }
        return out;
    }

    private static double meanGate(MatParameters p, float[][] rows, int t, double[] g) {
        double s = 0;
        for (float[] r : rows) {
            p.gates(r, g);
            s += g[t];
        }
        return s / rows.length;
    }

    private static String cacheKey(String fingerprint, Request r, Map<String, String> datasets, MatPrompts prompts) {
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("model", fingerprint);
        key.put("site", r.site().toString());
        key.put("tasks", r.tasks().stream().map(TaskSource::label).toList());
        key.put("datasets", datasets);
        key.put("seed", r.config().seed());
        key.put("trainItems", r.trainItems());
        key.put("feature", switch (r.tokens()) {
            case LAST -> "last-token";
            case ALL -> "every-token";
            case ANSWER -> "answer-tokens";
            case DIFF -> "differing-answer-tokens";
            case CONTRAST -> "differing-answer-tokens-both-sides";
        });
        if (prompts.isTemplate()) { // plain keys stay as they were, so existing plain caches still hit
            key.put("prompts", prompts.cacheKey());
        }
        try {
            return new ObjectMapper().writeValueAsString(key);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
