package io.jsteer.steering.mat;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.kts.experiments.PromptFormat;
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

    public static List<AttributeFeatures> extract(InferenceEngine engine, Tokenizer tokenizer, Site site, List<TaskSplits> tasks,
                                                  String split, TrainTokens tokens, boolean progress) {
        return extract(engine, MatPrompts.plain(tokenizer), site, tasks, split, tokens, progress);
    }

    /** {@link #extract(InferenceEngine, Tokenizer, Site, List, String, TrainTokens, boolean)} with samples rendered by {@code prompts}. */
    public static List<AttributeFeatures> extract(InferenceEngine engine, MatPrompts prompts, Site site, List<TaskSplits> tasks,
                                                  String split, TrainTokens tokens, boolean progress) {
        List<AttributeFeatures> out = new ArrayList<>();
        for (TaskSplits t : tasks) {
            List<int[]> pos = new ArrayList<>(), neg = new ArrayList<>();
            List<boolean[]> posKeep = new ArrayList<>(), negKeep = new ArrayList<>(), targetKeep = new ArrayList<>();
            // CONTRAST keeps DIFF's pools and narrows the MMD targets to the desirable answers' own words
            TrainTokens poolTokens = tokens == TrainTokens.CONTRAST ? TrainTokens.DIFF : tokens;
            for (McItem item : t.split(split)) {
                for (int i = 0; i < item.choices().size(); i++) {
                    boolean desirable = item.correct().get(i);
                    (desirable ? pos : neg).add(prompts.ids(item, i));
                    if (tokens != TrainTokens.LAST && tokens != TrainTokens.ALL) {
                        (desirable ? posKeep : negKeep).add(answerMask(prompts, item, i, poolTokens));
                        if (desirable) {
                            targetKeep.add(answerMask(prompts, item, i, TrainTokens.CONTRAST));
                        }
                    }
                }
            }
            if (tokens == TrainTokens.LAST || tokens == TrainTokens.ALL) {
                boolean every = tokens == TrainTokens.ALL;
                out.add(new AttributeFeatures(t.task(), idRows(engine, site, pos, every, progress),
                        idRows(engine, site, neg, every, progress)));
                continue;
            }
            List<List<float[]>> positives = maskedRows(engine, site, pos, List.of(posKeep, targetKeep), progress);
            float[][] negatives = maskedRows(engine, site, neg, List.of(negKeep), progress).getFirst()
                    .toArray(float[][]::new);
            float[][] desirable = positives.getFirst().toArray(float[][]::new);
            out.add(tokens == TrainTokens.CONTRAST
                    ? new AttributeFeatures(t.task(), desirable, negatives, positives.get(1).toArray(float[][]::new))
                    : new AttributeFeatures(t.task(), desirable, negatives));
        }
        return out;
    }

    /** A sample of the generative setting: a question and one response (HelpSteer's prompt and response). */
    public record PromptedText(String question, String response) {}

    /**
     * One attribute's features from single responses rather than multiple-choice items (the
     * generative setting): {@link TrainTokens#ANSWER} keeps every response token (after the
     * prompt's), {@link TrainTokens#LAST} and {@link TrainTokens#ALL} as for the QA tasks. The
     * {@code diff}/{@code contrast} selections compare an item's opposite answers, which single
     * responses do not have.
     */
    public static AttributeFeatures extract(InferenceEngine engine, MatPrompts prompts, Site site, String attribute,
                                            List<PromptedText> positives, List<PromptedText> negatives, TrainTokens tokens,
                                            boolean progress) {
        List<PromptFormat.Answered> pos = positives.stream().map(t -> prompts.response(t.question(), t.response())).toList(),
                neg = negatives.stream().map(t -> prompts.response(t.question(), t.response())).toList();
        List<int[]> posIds = pos.stream().map(PromptFormat.Answered::ids).toList(), negIds = neg.stream().map(PromptFormat.Answered::ids).toList();
        return switch (tokens) {
            case LAST, ALL -> new AttributeFeatures(attribute, idRows(engine, site, posIds, tokens == TrainTokens.ALL, progress),
                    idRows(engine, site, negIds, tokens == TrainTokens.ALL, progress));
            case ANSWER -> new AttributeFeatures(attribute,
                    maskedRows(engine, site, posIds, List.of(responseMasks(pos)), progress).getFirst().toArray(float[][]::new),
                    maskedRows(engine, site, negIds, List.of(responseMasks(neg)), progress).getFirst().toArray(float[][]::new));
            case DIFF, CONTRAST -> throw new IllegalArgumentException("--tokens " + tokens.label() + " compares the opposite answers of "
                    + "one multiple-choice item; single responses (" + attribute + ") take answer, last or all");
        };
    }

    private static List<boolean[]> responseMasks(List<PromptFormat.Answered> texts) {
        List<boolean[]> out = new ArrayList<>();
        for (PromptFormat.Answered t : texts) {
            boolean[] keep = new boolean[t.ids().length];
            Arrays.fill(keep, Math.min(keep.length, t.answerStart()), keep.length, true);
            out.add(keep);
        }
        return out;
    }

    /**
     * Which token positions of choice i's text are features: its answer tokens (after the prompt's
     * tokens); with {@link TrainTokens#DIFF} or {@link TrainTokens#CONTRAST} only those whose token
     * the item's opposite-polarity answers lack (the words that carry the attribute, e.g. "sad"
     * against "happy"); {@code DIFF} adds the prompt tokens to the desirable side.
     */
    static boolean[] answerMask(Tokenizer tokenizer, McItem item, int choice, TrainTokens tokens) {
        return answerMask(MatPrompts.plain(tokenizer), item, choice, tokens);
    }

    static boolean[] answerMask(MatPrompts prompts, McItem item, int choice, TrainTokens tokens) {
        boolean diffOnly = tokens == TrainTokens.DIFF || tokens == TrainTokens.CONTRAST;
        PromptFormat.Answered own = prompts.choice(item, choice);
        int[] ids = own.ids();
        int from = own.answerStart();
        java.util.Set<Integer> other = new java.util.HashSet<>();
        if (diffOnly) {
            for (int j = 0; j < item.choices().size(); j++) {
                if (item.correct().get(j) != item.correct().get(choice)) {
                    PromptFormat.Answered o = prompts.choice(item, j);
                    for (int k = o.answerStart(); k < o.ids().length; k++) {
                        other.add(o.ids()[k]);
                    }
                }
            }
        }
        boolean[] keep = new boolean[ids.length];
        for (int k = from; k < ids.length; k++) {
            keep[k] = !other.contains(ids[k]);
        }
        if (tokens == TrainTokens.DIFF && item.correct().get(choice)) {
            // the shared prompt tokens are desirable context: the gate should stay shut there
            java.util.Arrays.fill(keep, 0, from, true);
        }
        return keep;
    }

    /**
     * For each mask list, the rows of the kept positions of every text (one capture serves all
     * lists; texts cut to the context are rare here; their masks shift).
     */
    private static List<List<float[]>> maskedRows(InferenceEngine engine, Site site, List<int[]> texts,
                                                  List<List<boolean[]>> masks, boolean progress) {
        InMemoryActivations captured = capture(engine, site, texts, PositionMode.ALL, progress);
        List<List<float[]>> out = new ArrayList<>();
        for (List<boolean[]> keep : masks) {
            List<float[]> rows = new ArrayList<>();
            for (int r = 0; r < captured.rows(); r++) {
                boolean[] k = keep.get(captured.info(r).prompt());
                int position = captured.info(r).position();
                if (position < k.length && k[position]) {
                    float[] x = new float[captured.dim()];
                    captured.copy(site, r, x);
                    rows.add(x);
                }
            }
            out.add(rows);
        }
        return out;
    }

    /**
     * The number of leading tokens of choice i's text that belong to the prompt: the common prefix
     * of the tokens of {@code "Q: ... A:"} and of the whole text (both with BOS).
     */
    public static int promptTokens(Tokenizer tokenizer, McItem item, int choice) {
        return MatPrompts.plain(tokenizer).choice(item, choice).answerStart();
    }

    /**
     * [rows][d] features of the texts at the site: one row per text (last token) or one per token
     * of every text, in text order. Texts longer than the context keep their last tokens.
     */
    public static float[][] rows(InferenceEngine engine, Tokenizer tokenizer, Site site, List<String> texts, boolean everyToken,
                                 boolean progress) {
        return idRows(engine, site, texts.stream().map(t -> tokenizer.encode(t, true)).toList(), everyToken, progress);
    }

    /** {@link #rows} of texts already turned into ids (BOS included). */
    static float[][] idRows(InferenceEngine engine, Site site, List<int[]> texts, boolean everyToken, boolean progress) {
        InMemoryActivations captured = capture(engine, site, texts, everyToken ? PositionMode.ALL : PositionMode.LAST, progress);
        int d = engine.config().dim();
        float[][] out = new float[captured.rows()][d];
        for (int r = 0; r < out.length; r++) {
            captured.copy(site, r, out[r]);
        }
        return out;
    }

    /**
     * The last-token activations at {@code sites} of every choice text of {@code items}: one row per
     * choice, labelled 1 when the choice is true (desirable) and 0 otherwise, grouped by item (row
     * group = index of the item in the list), for the probe- and pair-based baselines (ITI, ICV).
     */
    public static InMemoryActivations choiceActivations(InferenceEngine engine, Tokenizer tokenizer, List<Site> sites,
                                                        List<McItem> items, boolean progress) {
        return choiceActivations(engine, MatPrompts.plain(tokenizer), sites, items, progress);
    }

    /** {@link #choiceActivations(InferenceEngine, Tokenizer, List, List, boolean)} with choices rendered by {@code prompts}. */
    public static InMemoryActivations choiceActivations(InferenceEngine engine, MatPrompts prompts, List<Site> sites,
                                                        List<McItem> items, boolean progress) {
        List<CapturePrompt> captures = new ArrayList<>();
        int cap = engine.capacity();
        for (int g = 0; g < items.size(); g++) {
            McItem item = items.get(g);
            for (int c = 0; c < item.choices().size(); c++) {
                int[] ids = prompts.ids(item, c);
                captures.add(new CapturePrompt(ids.length <= cap ? ids : Arrays.copyOfRange(ids, ids.length - cap, ids.length),
                        item.correct().get(c) ? 1 : 0, g, -1));
            }
        }
        InMemoryActivations captured = new InMemoryActivations(sites, engine.config().dim());
        new ActivationCapture(engine, sites, PositionMode.LAST).run(captures, captured, null, progress);
        return captured;
    }

    /** Texts longer than the context keep their last tokens (then answer positions shift; such texts are rare here). */
    private static InMemoryActivations capture(InferenceEngine engine, Site site, List<int[]> texts, PositionMode mode,
                                               boolean progress) {
        List<CapturePrompt> prompts = new ArrayList<>();
        int cap = engine.capacity();
        for (int[] ids : texts) {
            prompts.add(CapturePrompt.of(ids.length <= cap ? ids : Arrays.copyOfRange(ids, ids.length - cap, ids.length), 1));
        }
        InMemoryActivations captured = new InMemoryActivations(List.of(site), engine.config().dim());
        new ActivationCapture(engine, List.of(site), mode).run(prompts, captured, null, progress);
        return captured;
    }
}
