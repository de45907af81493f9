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
 */
public record McItem(String task, String id, String prompt, List<String> choices, List<Boolean> correct) {

    public McItem {
        choices = List.copyOf(choices);
        correct = List.copyOf(correct);
        if (choices.size() < 2 || choices.size() != correct.size()) {
            throw new IllegalArgumentException(task + " item " + id + ": needs two or more choices with one label each, got "
                    + choices.size() + " choices and " + correct.size() + " labels");
        }
        if (!correct.contains(true) || !correct.contains(false)) {
            throw new IllegalArgumentException(task + " item " + id + ": needs at least one true and one false choice");
        }
    }

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

    /** "Q: {question} A:". */
    static String prompt(String question) {
        return "Q: " + question.strip() + " A:";
    }
}
