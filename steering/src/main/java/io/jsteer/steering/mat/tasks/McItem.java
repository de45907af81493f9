package io.jsteer.steering.mat.tasks;

import java.util.ArrayList;
import java.util.List;

/**
 * One multiple-choice question in the spec's prompt format: the model sees
 * {@code "Q: {question} A:"} and each choice is scored as the continuation {@code " {answer}"}.
 *
 * @param task    e.g. {@code truthfulqa}
 * @param id      stable id within the task (the split unit)
 * @param prompt  {@code "Q: ... A:"}
 * @param choices answer texts
 * @param correct which choices are true / desirable (same length as choices)
 * @param best    index of the single best answer (TruthfulQA's "Best Answer", for MC1), or
 *                {@link #NO_BEST} when the task has none
 */
public record McItem(String task, String id, String prompt, List<String> choices, List<Boolean> correct, int best)
        implements java.io.Serializable { // sent to Spark executors (jsteer spark mat-eval)

    public static final int NO_BEST = -1;

    /** An item without a designated best answer (no MC1). */
    public McItem(String task, String id, String prompt, List<String> choices, List<Boolean> correct) {
        this(task, id, prompt, choices, correct, NO_BEST);
    }

    public McItem {
        choices = List.copyOf(choices);
        correct = List.copyOf(correct);
        if (choices.size() < 2 || choices.size() != correct.size()) {
            throw new IllegalArgumentException(task + " item " + id + ": needs two or more choices with one label each, got "
                    + choices.size() + " choices and " + correct.size() + " labels");
        }
        if (best != NO_BEST && (best < 0 || best >= choices.size() || !correct.get(best))) {
            throw new IllegalArgumentException(task + " item " + id + ": best answer " + best + " is not a true choice");
        }
        if (!correct.contains(true) || !correct.contains(false)) {
            throw new IllegalArgumentException(task + " item " + id + ": needs at least one true and one false choice");
        }
    }

    public boolean hasBest() { return best != NO_BEST; }

    /** The training text of choice i: {@code "Q: {question} A: {answer}"}. */
    public String text(int i) {
        return prompt + " " + choices.get(i);
    }

    /** One sample per choice, labelled with the choice's label (spec §2 "Sample construction"). */
    public List<Sample> samples() {
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < choices.size(); i++) {
            out.add(new Sample(task, text(i), correct.get(i)));
        }
        return out;
    }

    /** The question inside {@code "Q: {question} A:"} (what a chat template puts in the user turn). */
    public String question() {
        if (!prompt.startsWith("Q: ") || !prompt.endsWith(" A:")) {
            throw new IllegalStateException(task + " item " + id + ": prompt '" + prompt + "' is not of the form \"Q: {question} A:\"");
        }
        return prompt.substring(3, prompt.length() - 3);
    }

    /** "Q: {question} A:". */
    public static String prompt(String question) {
        return "Q: " + question.strip() + " A:";
    }
}
