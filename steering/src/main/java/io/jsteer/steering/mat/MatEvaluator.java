package io.jsteer.steering.mat;

import io.jsteer.model.LogProbs;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.GateListener;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.mat.tasks.McItem;
import java.util.List;
import io.jsteer.weights.ProgressBars;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Scores multiple-choice items with and without MAT-Steer (spec §4): MC2 (normalised mass on
 * true answers; TruthfulQA's metric) and argmax-likelihood accuracy (BBQ and ToxiGen's
 * "multiple-choice accuracy"; for TruthfulQA, whether the top answer is a true one). Items
 * longer than the context are skipped and counted.
 */
public final class MatEvaluator {

    /**
     * Mean metrics over the scored items of one task.
     *
     * @param mc1 TruthfulQA MC1 (best answer above every incorrect one) over the items that name a
     *            best answer; NaN when none does
     */
    public record Score(String task, int items, int skipped, double mc1, double mc2, double accuracy) {}

    private final InferenceEngine engine;
    private final Tokenizer tokenizer;

    public MatEvaluator(InferenceEngine engine, Tokenizer tokenizer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
    }

    /** Scores {@code items} with the module at its site, or unsteered when {@code mat} is null. */
    public Score score(String task, List<McItem> items, MatParameters mat, Site site, boolean progress) {
        return score(task, items, mat == null ? null : hooks(mat, site, null),
                progress ? task + (mat == null ? " base" : " mat") : null);
    }

    /** Scores {@code items} with these hooks (null: unsteered); a progress bar named {@code label} unless null. */
    public Score score(String task, List<McItem> items, Hooks hooks, String label) {
        return score(task, items, item -> hooks, label);
    }

    /** The hooks for scoring one item (null: unsteered); ablations that edit chosen positions depend on the item. */
    @FunctionalInterface
    public interface ItemHooks {
        Hooks of(McItem item);
    }

    /** Scores {@code items} with the module applied as {@code how} (the paper's way or an ablation). */
    public Score score(String task, List<McItem> items, MatParameters mat, Site site, MatApplication how, String label) {
        return score(task, items, item -> how.hooks(mat, site, engine.config(), questionTokens(item), item.id().hashCode(), null),
                label);
    }

    /** Tokens of the item's question that every choice's text shares (the prefix the scorer prefills once). */
    int questionTokens(McItem item) {
        int n = Integer.MAX_VALUE;
        for (int c = 0; c < item.choices().size(); c++) {
            n = Math.min(n, MatFeatures.promptTokens(tokenizer, item, c));
        }
        return n;
    }

    /** Scores {@code items}, each with the hooks {@code hooks} gives for it; a progress bar named {@code label} unless null. */
    public Score score(String task, List<McItem> items, ItemHooks hooks, String label) {
        McScorer scorer = new McScorer(engine, tokenizer);
        double mc1 = 0, mc2 = 0, acc = 0;
        int n = 0, skipped = 0, withBest = 0;
        try (ProgressBar bar = label != null ? ProgressBars.build(new ProgressBarBuilder().setTaskName(label)
                .setInitialMax(items.size())) : null) {
            for (McItem item : items) {
                if (!scorer.fits(item)) {
                    skipped++;
                } else {
                    engine.setHooks(hooks.of(item));
                    double[] lp = scorer.logProbs(item);
                    mc2 += McMetrics.mc2(lp, item.correct());
                    acc += McMetrics.argmaxCorrect(lp, item.correct());
                    if (item.hasBest()) {
                        mc1 += McMetrics.mc1(lp, item.best(), item.correct());
                        withBest++;
                    }
                    n++;
                }
                if (bar != null) {
                    bar.step();
                }
            }
        } finally {
            engine.setHooks(null);
        }
        return new Score(task, n, skipped, withBest == 0 ? Double.NaN : mc1 / withBest, n == 0 ? Double.NaN : mc2 / n,
                n == 0 ? Double.NaN : acc / n);
    }

    /**
     * Mean over texts and positions of KL(P_base ‖ P_steered) of the next-token distributions:
     * how much a method disturbs texts it should leave alone (e.g. the true answers). Texts
     * longer than the context are skipped.
     */
    public double meanKl(List<String> texts, Hooks steered) {
        int vocab = engine.config().vocabSize();
        double sum = 0;
        long positions = 0;
        for (String text : texts) {
            int[] ids = tokenizer.encode(text, true);
            if (ids.length > engine.capacity()) {
                continue;
            }
            double[][] base = new double[ids.length][];
            engine.setHooks(null);
            engine.scorePositions(ids, 0, (i, logits) -> base[i] = LogProbs.of(logits, vocab));
            engine.setHooks(steered);
            double[] kls = new double[ids.length];
            try {
                engine.scorePositions(ids, 0, (i, logits) -> kls[i] = LogProbs.kl(base[i], LogProbs.of(logits, vocab)));
                for (double kl : kls) {
                    sum += kl;
                    positions++;
                }
            } finally {
                engine.setHooks(null);
            }
        }
        return positions == 0 ? Double.NaN : sum / positions;
    }

    /** Table-2-style gate statistics of the module over these texts (each prefilled once). */
    public GateStats gateStats(List<String> texts, MatParameters mat, Site site) {
        GateStats.Accumulator acc = new GateStats.Accumulator(mat.attributes());
        engine.setHooks(hooks(mat, site, acc));
        try {
            for (String text : texts) {
                int[] ids = tokenizer.encode(text, true);
                if (ids.length > engine.capacity()) {
                    continue;
                }
                engine.prefill(ids, 0);
                acc.endText();
            }
        } finally {
            engine.setHooks(null);
        }
        return acc.stats();
    }

    /**
     * Gates by token role over these items' choice texts (each prefilled once): the shared prompt
     * tokens ({@code Q: ... A:}), the answer tokens of true (desirable) choices and those of false
     * (undesirable) ones; and within the answers, the words that differ from the opposite answers
     * (the tokens that carry the attribute, {@link TrainTokens#CONTRAST}: "sad", "cried" against
     * "happy", "smiled"). A selective module opens its gates on the false answers' differing words
     * and keeps them shut elsewhere; in a multi-attribute module only the item's own attribute's
     * gate should open there.
     */
    public record GatesByRole(GateStats prompt, GateStats trueAnswers, GateStats falseAnswers, GateStats trueWords,
                              GateStats falseWords) {}

    public GatesByRole gatesByRole(List<McItem> items, MatParameters mat, Site site) {
        List<String> names = mat.attributes();
        GateStats.Accumulator prompt = new GateStats.Accumulator(names), good = new GateStats.Accumulator(names),
                bad = new GateStats.Accumulator(names), goodWords = new GateStats.Accumulator(names),
                badWords = new GateStats.Accumulator(names);
        for (McItem item : items) {
            for (int c = 0; c < item.choices().size(); c++) {
                int[] ids = tokenizer.encode(item.text(c), true);
                if (ids.length > engine.capacity()) {
                    continue;
                }
                int promptLength = MatFeatures.promptTokens(tokenizer, item, c);
                boolean[] differing = MatFeatures.answerMask(tokenizer, item, c, TrainTokens.CONTRAST);
                boolean desirable = item.correct().get(c);
                GateStats.Accumulator answer = desirable ? good : bad, words = desirable ? goodWords : badWords;
                double[][] gates = tokenGates(ids, mat, site);
                for (int i = 0; i < ids.length; i++) {
                    (i < promptLength ? prompt : answer).onGates(site, i, true, gates[i]);
                    if (differing[i]) {
                        words.onGates(site, i, true, gates[i]);
                    }
                }
                prompt.endText();
                answer.endText();
                words.endText();
            }
        }
        return new GatesByRole(prompt.stats(), good.stats(), bad.stats(), goodWords.stats(), badWords.stats());
    }

    /** Per-token gates [tokens][T] of one text (for the gates command). */
    public double[][] tokenGates(int[] ids, MatParameters mat, Site site) {
        double[][] out = new double[ids.length][];
        engine.setHooks(hooks(mat, site, (at, position, inPrompt, gates) -> out[position] = gates));
        try {
            engine.prefill(ids, 0);
        } finally {
            engine.setHooks(null);
        }
        return out;
    }

    /** The module as the shared GatedEdit at {@code site}, compiled for this engine's model (validated against it). */
    public Hooks hooks(MatParameters mat, Site site, GateListener gates) {
        return InterventionSet.of(mat.toGatedEdit(site)).toHooks(engine.config(), gates);
    }
}
