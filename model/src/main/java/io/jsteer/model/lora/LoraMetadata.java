package io.jsteer.model.lora;

import java.util.List;

/**
 * What an adapter file says about itself (the JSON under {@code __metadata__["jsteer.lora"]}).
 *
 * @param format  always {@link #FORMAT}
 * @param model   the name of the model it was trained for (provenance; not enforced)
 * @param rank    r
 * @param alpha   the scale is alpha / r
 * @param targets target labels (q, k, v, o, gate, up, down)
 * @param layers  blocks of the model
 * @param dim     width of the model
 */
public record LoraMetadata(String format, String model, int rank, double alpha, List<String> targets, int layers, int dim) {

    public static final String FORMAT = "jsteer-lora-v1";
    /** The {@code __metadata__} key holding this record as JSON. */
    public static final String KEY = "jsteer.lora";

    public LoraMetadata {
        targets = List.copyOf(targets);
    }
}
