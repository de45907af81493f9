package io.jsteer.model.intervene;

import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * An ordered composition of interventions: at every site they run in list order, each on the
 * previous one's output; sites themselves run in the model's order ({@code resid_pre,
 * attn_heads, attn_out, mlp_out, resid_post} of block 0, then block 1, ...). The same set
 * compiles to inference hooks ({@link #toHooks}, what {@code CpuEngine.setInterventions} runs) and to
 * trainable-path hooks ({@link #toTapeHooks}, for {@code ForwardOptions.withHooks}); both compile
 * steps validate every intervention against the model. An empty set compiles to empty hooks,
 * which the engine treats as none (no cost).
 */
public record InterventionSet(List<Intervention> items) {

    public InterventionSet {
        items = List.copyOf(items);
    }

    public static InterventionSet of(Intervention... items) {
        return new InterventionSet(List.of(items));
    }

    /** This set followed by {@code next}. */
    public InterventionSet plus(Intervention next) {
        List<Intervention> all = new ArrayList<>(items);
        all.add(next);
        return new InterventionSet(all);
    }

    public boolean isEmpty() { return items.isEmpty(); }

    /** Checks every intervention against the model; the first problem is thrown. */
    public void validate(LlamaConfig c) {
        for (Intervention i : items) {
            i.validate(c);
        }
    }

    /** Every trainable parameter, once each, in order (for an optimiser). */
    public List<Var> trainableParameters() {
        List<Var> out = new ArrayList<>();
        for (Intervention i : items) {
            for (Var v : i.trainableParameters()) {
                if (out.stream().noneMatch(o -> o == v)) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    /**
     * Checks the set as an engine does when it takes it ({@code setInterventions}, a batch row):
     * {@link #validate} and every value computed from the parameters finite (a strength times a
     * vector can overflow float). For callers that must refuse a bad set before they start (a
     * server before its first response byte, a command before its first unit); the first
     * problem is thrown.
     */
    public void check(LlamaConfig c) {
        toHooks(c, null); // the compiled hooks are dropped: the engine compiles its own
    }

    /** Inference-path hooks (parameters snapshotted now). */
    public Hooks toHooks(LlamaConfig c) {
        return toHooks(c, null);
    }

    /** Inference-path hooks whose gated edits report their gates to {@code gates} (may be null). */
    public Hooks toHooks(LlamaConfig c, GateListener gates) {
        validate(c);
        Hooks hooks = new Hooks(c.nLayers());
        for (Intervention i : items) {
            hooks.add(i.site(), i.toHook(gates));
        }
        return hooks;
    }

    /** Trainable-path hooks (parameters used live). */
    public TapeHooks toTapeHooks(LlamaConfig c) {
        return toTapeHooks(c, null);
    }

    /** Trainable-path hooks whose gated edits report their gates to {@code gates} (may be null). */
    public TapeHooks toTapeHooks(LlamaConfig c, GateListener gates) {
        validate(c);
        TapeHooks hooks = new TapeHooks(c.nLayers());
        for (Intervention i : items) {
            hooks.add(i.site(), (tape, site, x, promptLength) -> i.apply(tape, x, promptLength, gates));
        }
        return hooks;
    }
}
