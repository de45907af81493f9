package io.jsteer.steering.mat;

import io.jsteer.model.LogProbs;

import io.jsteer.model.InferenceEngine;
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
    public record Score(String task, int items, int skipped, double mc1, double mc2, double accuracy) {

        /** The means over the items that fit, added in list order (the order of the items). */
        public static Score of(String task, List<ItemScore> scores) {
            double mc1 = 0, mc2 = 0, acc = 0;
            int n = 0, skipped = 0, withBest = 0;
            for (ItemScore s : scores) {
                if (!s.fits()) {
                    skipped++;
                    continue;
                }
                mc2 += s.mc2();
                acc += s.accuracy();
                if (!Double.isNaN(s.mc1())) {
                    mc1 += s.mc1();
                    withBest++;
                }
                n++;
            }
            return new Score(task, n, skipped, withBest == 0 ? Double.NaN : mc1 / withBest, n == 0 ? Double.NaN : mc2 / n,
                    n == 0 ? Double.NaN : acc / n);
        }
    }

    private final InferenceEngine engine;
    private final Tokenizer tokenizer;
    private final MatPrompts prompts;

    /** Plain prompts (the paper's strings). */
    public MatEvaluator(InferenceEngine engine, Tokenizer tokenizer) {
        this(engine, MatPrompts.plain(tokenizer));
    }

    public MatEvaluator(InferenceEngine engine, MatPrompts prompts) {
        this.engine = engine;
        this.tokenizer = prompts.tokenizer();
        this.prompts = prompts;
    }

    public MatPrompts prompts() { return prompts; }

    /** Scores {@code items} with the module at its site, or unsteered when {@code mat} is null. */
    public Score score(String task, List<McItem> items, MatParameters mat, Site site, boolean progress) {
        return score(task, items, mat == null ? null : interventions(mat, site),
                progress ? task + (mat == null ? " base" : " mat") : null);
    }

    /** Scores {@code items} with this steering (null: unsteered); a progress bar named {@code label} unless null. */
    public Score score(String task, List<McItem> items, InterventionSet steering, String label) {
        return score(task, items, item -> steering, label);
    }

    /** The steering for scoring one item (null: unsteered); ablations that edit chosen positions depend on the item. */
    @FunctionalInterface
    public interface ItemSteering {
        InterventionSet of(McItem item);
    }

    /** Scores {@code items} with the module applied as {@code how} (the paper's way or an ablation). */
    public Score score(String task, List<McItem> items, MatParameters mat, Site site, MatApplication how, String label) {
        return score(task, items, itemSteering(mat, site, how, engine.config(), prompts), label);
    }

    /** Tokens of the item's question that every choice's text shares (the prefix the scorer prefills once). */
    int questionTokens(McItem item) {
        return questionTokens(prompts, item);
    }

    /** {@link #questionTokens(McItem)} for any tokenizer (machines that rebuild the steering themselves). */
    public static int questionTokens(Tokenizer tokenizer, McItem item) {
        return questionTokens(MatPrompts.plain(tokenizer), item);
    }

    /** {@link #questionTokens(McItem)} under any prompt format. */
    public static int questionTokens(MatPrompts prompts, McItem item) {
        int n = Integer.MAX_VALUE;
        for (int c = 0; c < item.choices().size(); c++) {
            n = Math.min(n, prompts.choice(item, c).answerStart());
        }
        return n;
    }

    /** The module applied as {@code how}, per item (what {@link #score(String, List, MatParameters, Site, MatApplication, String)} uses). */
    public static ItemSteering itemSteering(MatParameters mat, Site site, MatApplication how, io.jsteer.model.LlamaConfig config,
                                            Tokenizer tokenizer) {
        return itemSteering(mat, site, how, config, MatPrompts.plain(tokenizer));
    }

    /** {@link #itemSteering(MatParameters, Site, MatApplication, io.jsteer.model.LlamaConfig, Tokenizer)} under any prompt format. */
    public static ItemSteering itemSteering(MatParameters mat, Site site, MatApplication how, io.jsteer.model.LlamaConfig config,
                                            MatPrompts prompts) {
        return item -> how.interventions(mat, site, config, questionTokens(prompts, item), item.id().hashCode());
    }

    /** Scores {@code items}, each with the steering {@code hooks} gives for it; a progress bar named {@code label} unless null. */
    public Score score(String task, List<McItem> items, ItemSteering hooks, String label) {
        McScorer scorer = new McScorer(engine, prompts);
        List<ItemScore> scores = new java.util.ArrayList<>(items.size());
        try (ProgressBar bar = label != null ? ProgressBars.build(new ProgressBarBuilder().setTaskName(label)
                .setInitialMax(items.size())) : null) {
            for (McItem item : items) {
                scores.add(scoreItem(scorer, item, hooks));
                if (bar != null) {
                    bar.step();
                }
            }
        }
        return Score.of(task, scores);
    }

    /**
     * One item's contribution to a {@link Score}: what a machine that scored part of the items
     * sends back; {@link Score#of} adds them up in item order, as {@link #score} does.
     *
     * @param fits whether every choice fit the context (else the item is skipped and the rest is NaN)
     * @param mc1  MC1, or NaN when the item names no best answer
     */
    public record ItemScore(boolean fits, double mc1, double mc2, double accuracy) implements java.io.Serializable {}

    /** Scores one item with the steering {@code hooks} gives for it (the engine is left unsteered). */
    public ItemScore scoreItem(McScorer scorer, McItem item, ItemSteering hooks) {
        if (!scorer.fits(item)) {
            return new ItemScore(false, Double.NaN, Double.NaN, Double.NaN);
        }
        engine.setInterventions(hooks.of(item));
        try {
            double[] lp = scorer.logProbs(item);
            return new ItemScore(true, item.hasBest() ? McMetrics.mc1(lp, item.best(), item.correct()) : Double.NaN,
                    McMetrics.mc2(lp, item.correct()), McMetrics.argmaxCorrect(lp, item.correct()));
        } finally {
            engine.setInterventions(null);
        }
    }

    /**
     * Mean over texts and positions of KL(P_base ‖ P_steered) of the next-token distributions:
     * how much a method disturbs texts it should leave alone (e.g. the true answers). Texts
     * longer than the context are skipped.
     */
    public double meanKl(List<String> texts, InterventionSet steered) {
        return meanKlOfIds(texts.stream().map(t -> tokenizer.encode(t, true)).toList(), steered);
    }

    /** {@link #meanKl} of texts already rendered to ids (e.g. by a chat template). */
    public double meanKlOfIds(List<int[]> texts, InterventionSet steered) {
        KlSum total = new KlSum(0, 0);
        for (int[] ids : texts) {
            total = total.plus(klOfIds(ids, steered));
        }
        return total.mean();
    }

    /** Summed KL over a text's positions and their count: the part of {@link #meanKl} one text adds (merged in text order). */
    public record KlSum(double sum, long positions) implements java.io.Serializable {
        public KlSum plus(KlSum o) { return new KlSum(sum + o.sum, positions + o.positions); }

        public double mean() { return positions == 0 ? Double.NaN : sum / positions; }
    }

    /** One text's {@link KlSum}; a text longer than the context counts no positions. */
    public KlSum klOfText(String text, InterventionSet steered) {
        return klOfIds(tokenizer.encode(text, true), steered);
    }

    /** {@link #klOfText} of ids (BOS included). */
    public KlSum klOfIds(int[] ids, InterventionSet steered) {
        int vocab = engine.config().vocabSize();
        if (ids.length > engine.capacity()) {
            return new KlSum(0, 0);
        }
        double[][] base = new double[ids.length][];
        engine.setInterventions(null);
        engine.scorePositions(ids, 0, (i, logits) -> base[i] = LogProbs.of(logits, vocab));
        double[] kls = new double[ids.length];
        engine.setInterventions(steered);
        try {
            engine.scorePositions(ids, 0, (i, logits) -> kls[i] = LogProbs.kl(base[i], LogProbs.of(logits, vocab)));
        } finally {
            engine.setInterventions(null);
        }
        double sum = 0;
        for (double kl : kls) {
            sum += kl;
        }
        return new KlSum(sum, ids.length);
    }

    /** Table-2-style gate statistics of the module over these texts (each prefilled once). */
    public GateStats gateStats(List<String> texts, MatParameters mat, Site site) {
        return gateSums(texts, mat, site).stats();
    }

    /** The running sums behind {@link #gateStats}, mergeable with those of other texts. */
    public GateStats.Accumulator gateSums(List<String> texts, MatParameters mat, Site site) {
        return gateSumsOfIds(texts.stream().map(t -> tokenizer.encode(t, true)).toList(), mat, site);
    }

    /** {@link #gateSums} of texts already rendered to ids. */
    public GateStats.Accumulator gateSumsOfIds(List<int[]> texts, MatParameters mat, Site site) {
        GateStats.Accumulator acc = new GateStats.Accumulator(mat.attributes());
        engine.setInterventions(interventions(mat, site), acc);
        try {
            for (int[] ids : texts) {
                if (ids.length > engine.capacity()) {
                    continue;
                }
                engine.prefill(ids, 0);
                acc.endText();
            }
        } finally {
            engine.setInterventions(null);
        }
        return acc;
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

    /** The running sums behind {@link GatesByRole}, mergeable with those of other items. */
    public record RoleSums(GateStats.Accumulator prompt, GateStats.Accumulator trueAnswers, GateStats.Accumulator falseAnswers,
                           GateStats.Accumulator trueWords, GateStats.Accumulator falseWords) implements java.io.Serializable {

        /** Sums over no tokens yet. */
        public static RoleSums empty(List<String> attributes) {
            return new RoleSums(new GateStats.Accumulator(attributes), new GateStats.Accumulator(attributes),
                    new GateStats.Accumulator(attributes), new GateStats.Accumulator(attributes), new GateStats.Accumulator(attributes));
        }

        /** Adds {@code o}'s sums to these. */
        public void merge(RoleSums o) {
            prompt.merge(o.prompt);
            trueAnswers.merge(o.trueAnswers);
            falseAnswers.merge(o.falseAnswers);
            trueWords.merge(o.trueWords);
            falseWords.merge(o.falseWords);
        }

        public GatesByRole stats() {
            return new GatesByRole(prompt.stats(), trueAnswers.stats(), falseAnswers.stats(), trueWords.stats(), falseWords.stats());
        }
    }

    public GatesByRole gatesByRole(List<McItem> items, MatParameters mat, Site site) {
        return roleSums(items, mat, site).stats();
    }

    /** {@link #gatesByRole} as running sums. */
    public RoleSums roleSums(List<McItem> items, MatParameters mat, Site site) {
        RoleSums sums = RoleSums.empty(mat.attributes());
        GateStats.Accumulator prompt = sums.prompt(), good = sums.trueAnswers(), bad = sums.falseAnswers(), goodWords = sums.trueWords(),
                badWords = sums.falseWords();
        for (McItem item : items) {
            for (int c = 0; c < item.choices().size(); c++) {
                var choice = prompts.choice(item, c);
                int[] ids = choice.ids();
                if (ids.length > engine.capacity()) {
                    continue;
                }
                int promptLength = choice.answerStart();
                boolean[] differing = MatFeatures.answerMask(prompts, item, c, TrainTokens.CONTRAST);
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
        return sums;
    }

    /** Per-token gates [tokens][T] of one text (for the gates command). */
    public double[][] tokenGates(int[] ids, MatParameters mat, Site site) {
        double[][] out = new double[ids.length][];
        engine.setInterventions(interventions(mat, site), (at, position, inPrompt, gates) -> out[position] = gates);
        try {
            engine.prefill(ids, 0);
        } finally {
            engine.setInterventions(null);
        }
        return out;
    }

    /** The module as the shared GatedEdit at {@code site} (checked against this engine's model now). */
    public InterventionSet interventions(MatParameters mat, Site site) {
        InterventionSet set = InterventionSet.of(mat.toGatedEdit(site));
        set.validate(engine.config());
        return set;
    }
}
