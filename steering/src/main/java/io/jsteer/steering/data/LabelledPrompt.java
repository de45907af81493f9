package io.jsteer.steering.data;

/** A prompt and its class, e.g. an instruction labelled "harmful" or "harmless". */
public record LabelledPrompt(String text, String label) {

    public LabelledPrompt {
        if (text == null || label == null) {
            throw new IllegalArgumentException("a labelled prompt needs a text and a label");
        }
    }
}
