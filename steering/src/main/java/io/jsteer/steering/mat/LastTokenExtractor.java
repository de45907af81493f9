package io.jsteer.steering.mat;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.Tokenizer;
import java.util.List;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * The activation of a text's last token at one site (spec §2 "Feature": one vector per
 * sample), read by a capture hook during one prefill. The minimal extractor MAT-Steer needs;
 * the general capture package will replace it.
 */
public final class LastTokenExtractor {

    private final InferenceEngine engine;
    private final Tokenizer tokenizer;
    private final Site site;

    public LastTokenExtractor(InferenceEngine engine, Tokenizer tokenizer, Site site) {
        if (site.layer() >= engine.config().nLayers()) {
            throw new IllegalArgumentException("site " + site + " is past the model's last block " + (engine.config().nLayers() - 1));
        }
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.site = site;
    }

    /** Token ids of a text with BOS; texts longer than the context keep their last tokens. */
    int[] tokens(String text) {
        int[] ids = tokenizer.encode(text, true);
        int cap = engine.capacity();
        return ids.length <= cap ? ids : java.util.Arrays.copyOfRange(ids, ids.length - cap, ids.length);
    }

    /** [d] activation of the last token of {@code text} at the site. */
    public float[] extract(String text) {
        int[] ids = tokens(text);
        int last = ids.length - 1;
        float[][] captured = new float[1][];
        int d = engine.config().dim();
        engine.setHooks(new Hooks(engine.config().nLayers()).add(site, (at, position, inPrompt, x) -> {
            if (position == last) {
                captured[0] = java.util.Arrays.copyOf(x, d);
            }
        }));
        try {
            engine.prefill(ids, 0);
        } finally {
            engine.setHooks(null);
        }
        return captured[0];
    }

    /** [tokens][d] activations of every token of {@code text} at the site (spec §6 "ALL" option). */
    public float[][] extractEveryToken(String text) {
        int[] ids = tokens(text);
        float[][] captured = new float[ids.length][];
        int d = engine.config().dim();
        engine.setHooks(new Hooks(engine.config().nLayers()).add(site, (at, position, inPrompt, x) ->
                captured[position] = java.util.Arrays.copyOf(x, d)));
        try {
            engine.prefill(ids, 0);
        } finally {
            engine.setHooks(null);
        }
        return captured;
    }

    /**
     * Features of all texts: one row per text ({@code everyToken} false, the default last-token
     * feature) or one row per token of every text. A progress bar on stderr when {@code task} is not null.
     */
    public float[][] extractAll(List<String> texts, String task, boolean everyToken) {
        if (!everyToken) {
            return extractAll(texts, task);
        }
        List<float[]> rows = new java.util.ArrayList<>();
        try (ProgressBar bar = task == null ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(texts.size())
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
            for (String text : texts) {
                rows.addAll(List.of(extractEveryToken(text)));
                if (bar != null) {
                    bar.step();
                }
            }
        }
        return rows.toArray(float[][]::new);
    }

    /** [n][d] last-token features of all texts, with a progress bar on stderr when {@code task} is not null. */
    public float[][] extractAll(List<String> texts, String task) {
        float[][] out = new float[texts.size()][];
        try (ProgressBar bar = task == null ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(texts.size())
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build()) {
            for (int i = 0; i < out.length; i++) {
                out[i] = extract(texts.get(i));
                if (bar != null) {
                    bar.step();
                }
            }
        }
        return out;
    }
}
