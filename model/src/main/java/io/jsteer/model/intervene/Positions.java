package io.jsteer.model.intervene;

import java.util.Locale;

/**
 * Which tokens an intervention edits. On the inference path a token is "prompt" while the prompt
 * is prefilled (or fed with {@code inPrompt = true}) and "generated" when it is fed back after
 * being sampled. On the trainable path rows before {@code ForwardOptions.promptLength()} are
 * prompt and later rows generated (by default the whole sequence is prompt).
 */
public enum Positions {
    ALL,
    PROMPT,
    GENERATED;

    public boolean includes(boolean inPrompt) {
        return switch (this) {
            case ALL -> true;
            case PROMPT -> inPrompt;
            case GENERATED -> !inPrompt;
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Positions parse(String s) {
        for (Positions p : values()) {
            if (p.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown positions '" + s + "' (expected all, prompt or generated)");
    }
}
