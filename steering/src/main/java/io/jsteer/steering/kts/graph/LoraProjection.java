package io.jsteer.steering.kts.graph;

import io.jsteer.model.LlamaConfig;
import java.util.Locale;

/** The linear projections of a Llama block that can carry a LoRA adapter, with their PEFT module names. */
public enum LoraProjection {
    Q("self_attn.q_proj"), K("self_attn.k_proj"), V("self_attn.v_proj"), O("self_attn.o_proj"),
    GATE("mlp.gate_proj"), UP("mlp.up_proj"), DOWN("mlp.down_proj");

    private final String module;

    LoraProjection(String module) {
        this.module = module;
    }

    /** PEFT module path inside a block, e.g. {@code self_attn.q_proj}. */
    public String module() { return module; }

    /** The short name used in adapter_config.json's target_modules, e.g. {@code q_proj}. */
    public String shortName() { return module.substring(module.indexOf('.') + 1); }

    public int inFeatures(LlamaConfig c) {
        return switch (this) {
            case Q, K, V, GATE, UP -> c.dim();
            case O -> c.dim();
            case DOWN -> c.hiddenDim();
        };
    }

    public int outFeatures(LlamaConfig c) {
        return switch (this) {
            case Q, O, DOWN -> c.dim();
            case K, V -> c.kvDim();
            case GATE, UP -> c.hiddenDim();
        };
    }

    public static LoraProjection parse(String s) {
        String n = s.trim().toLowerCase(Locale.ROOT);
        for (LoraProjection p : values()) {
            if (p.shortName().equals(n) || p.name().toLowerCase(Locale.ROOT).equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown LoRA target '" + s
                + "' (expected q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj or down_proj)");
    }
}
