package io.jsteer.steering.mat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Site;
import io.jsteer.steering.mat.tasks.HelpSteer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The train features of MAT-Steer's generative setting (spec §2, §4): a HelpSteer file split
 * 40/10/50 by prompt, per attribute up to 500 + 500 train rows (score ≥ 3 desirable), each row's
 * text {@code "Q: {prompt} A: {response}"}; training itself is {@link MatTrainingJob#train}.
 */
public final class HelpSteerJob {

    private HelpSteerJob() {}

    /**
     * @param perPolarity rows per attribute and polarity (the paper: {@link HelpSteer#PER_POLARITY})
     * @param cache       feature cache file, or null
     */
    public static MatTrainingJob.Prepared prepare(LoadedModel model, InferenceEngine engine, Path file, Site site, TrainTokens tokens,
                                                  long seed, int perPolarity, Path cache, boolean progress, PrintStream log)
            throws IOException {
        return prepare(model, MatPrompts.plain(model.tokenizer()), engine, file, site, tokens, seed, perPolarity, cache, progress, log);
    }

    /** {@link #prepare(LoadedModel, InferenceEngine, Path, Site, TrainTokens, long, int, Path, boolean, PrintStream)} rendered by {@code prompts}. */
    public static MatTrainingJob.Prepared prepare(LoadedModel model, MatPrompts prompts, InferenceEngine engine, Path file, Site site,
                                                  TrainTokens tokens, long seed, int perPolarity, Path cache, boolean progress,
                                                  PrintStream log) throws IOException {
        if (perPolarity < 1) {
            throw new IllegalArgumentException("--train-items must be at least 1, got " + perPolarity);
        }
        HelpSteer.Splits splits = HelpSteer.split(HelpSteer.read(file), seed);
        Map<String, String> datasets = Map.of(file.getFileName().toString(), Fingerprints.sha256(file));
        String fingerprint = Fingerprints.model(model.file().path());
        String key = key(fingerprint, site, tokens, seed, perPolarity, datasets, prompts);
        Optional<List<AttributeFeatures>> cached = cache == null ? Optional.empty() : FeatureCache.load(cache, key);
        if (cached.isPresent()) {
            if (log != null) {
                log.println("mat: features from the cache " + cache);
            }
            return new MatTrainingJob.Prepared(cached.get(), datasets, fingerprint, model.name(), true, prompts);
        }
        List<AttributeFeatures> features = new ArrayList<>();
        for (int a = 0; a < HelpSteer.ATTRIBUTES.size(); a++) {
            List<List<HelpSteer.Row>> sides = HelpSteer.sample(splits.train(), a, perPolarity, seed);
            if (log != null) {
                log.printf(java.util.Locale.ROOT, "mat: helpsteer %s: %d desirable and %d undesirable train rows%n",
                        HelpSteer.ATTRIBUTES.get(a), sides.get(0).size(), sides.get(1).size());
            }
            features.add(MatFeatures.extract(engine, prompts, site, HelpSteer.ATTRIBUTES.get(a), texts(sides.get(0)),
                    texts(sides.get(1)), tokens, progress));
        }
        if (cache != null) {
            FeatureCache.save(cache, key, features);
        }
        return new MatTrainingJob.Prepared(features, datasets, fingerprint, model.name(), false, prompts);
    }

    private static List<MatFeatures.PromptedText> texts(List<HelpSteer.Row> rows) {
        return rows.stream().map(r -> new MatFeatures.PromptedText(r.prompt(), r.response())).toList();
    }

    private static String key(String fingerprint, Site site, TrainTokens tokens, long seed, int perPolarity, Map<String, String> datasets,
                              MatPrompts prompts) {
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("setting", "helpsteer");
        key.put("model", fingerprint);
        key.put("site", site.toString());
        key.put("datasets", datasets);
        key.put("seed", seed);
        key.put("perPolarity", perPolarity);
        key.put("tokens", tokens.label());
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
