package io.jsteer.model.lora;

import io.jsteer.model.LlamaConfig;
import java.util.Locale;

/** The linear projections of a block an adapter can target, with their {@code [out, in]} sizes. */
public enum LoraTarget {
    /** q_proj {@code [dim, dim]}. */
    Q,
    /** k_proj {@code [kvDim, dim]}. */
    K,
    /** v_proj {@code [kvDim, dim]}. */
    V,
    /** o_proj {@code [dim, dim]}. */
    O,
    /** gate_proj (w1) {@code [hidden, dim]}. */
    GATE,
    /** up_proj (w3) {@code [hidden, dim]}. */
    UP,
    /** down_proj (w2) {@code [dim, hidden]}. */
    DOWN;

    /** The name in files and options: q, k, v, o, gate, up, down. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public int outFeatures(LlamaConfig c) {
        return switch (this) {
            case O, DOWN -> c.dim();
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case GATE, UP -> c.hiddenDim();
        };
    }

    public int inFeatures(LlamaConfig c) {
        return switch (this) {
            case DOWN -> c.hiddenDim();
            case O -> c.qDim();
            default -> c.dim();
        };
    }

    public static LoraTarget parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        for (LoraTarget target : values()) {
            if (target.label().equals(t) || (target.label() + "_proj").equals(t)) {
                return target;
            }
        }
        throw new IllegalArgumentException("unknown LoRA target '" + s + "' (expected q, k, v, o, gate, up or down)");
    }
}
