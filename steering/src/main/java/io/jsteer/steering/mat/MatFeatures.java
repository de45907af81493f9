package io.jsteer.steering.mat;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.mat.tasks.TaskSplits;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Training features of the tasks, read with the shared capture package: every choice text of a
 * split is one sample of its task's attribute, and its feature is the activation at the site of
 * its last token (spec §2, {@link PositionMode#LAST}) or of every token ({@link PositionMode#ALL},
 * the spec's §6 "ALL" option).
 */
public final class MatFeatures {

    private MatFeatures() {}

    /** @param everyToken one row per token of each text (the spec's ALL option) instead of the last token only */
    public static List<AttributeFeatures> extract(InferenceEngine engine, Tokenizer tokenizer, Site site, List<TaskSplits> tasks,
                                                  String split, boolean everyToken, boolean progress) {
        List<AttributeFeatures> out = new ArrayList<>();
        for (TaskSplits t : tasks) {
            List<String> pos = new ArrayList<>(), neg = new ArrayList<>();
            for (McItem item : t.split(split)) {
                for (int i = 0; i < item.choices().size(); i++) {
                    (item.correct().get(i) ? pos : neg).add(item.text(i));
                }
            }
            out.add(new AttributeFeatures(t.task(), rows(engine, tokenizer, site, pos, everyToken, progress),
                    rows(engine, tokenizer, site, neg, everyToken, progress)));
        }
        return out;
    }

    /**
     * [rows][d] features of the texts at the site: one row per text (last token) or one per token
     * of every text, in text order. Texts longer than the context keep their last tokens.
     */
    public static float[][] rows(InferenceEngine engine, Tokenizer tokenizer, Site site, List<String> texts, boolean everyToken,
                                 boolean progress) {
        List<CapturePrompt> prompts = new ArrayList<>();
        int cap = engine.capacity();
        for (String text : texts) {
            int[] ids = tokenizer.encode(text, true);
            prompts.add(CapturePrompt.of(ids.length <= cap ? ids : Arrays.copyOfRange(ids, ids.length - cap, ids.length), 1));
        }
        int d = engine.config().dim();
        InMemoryActivations captured = new InMemoryActivations(List.of(site), d);
        new ActivationCapture(engine, List.of(site), everyToken ? PositionMode.ALL : PositionMode.LAST)
                .run(prompts, captured, null, progress);
        float[][] out = new float[captured.rows()][d];
        for (int r = 0; r < out.length; r++) {
            captured.copy(site, r, out[r]);
        }
        return out;
    }
}
