package io.jsteer.model.intervene;

import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import java.util.function.Function;

/**
 * An edit written as Java code, for research edits that are no kind of their own (the MAT-Steer
 * paper's ablations, the ICV baseline): it goes through the same door as the other kinds
 * ({@code setInterventions}), so observers still see its result, but it has no kernel (the GPU
 * engine runs it on the host, cutting the pass at its site) and no trainable-path form.
 *
 * @param site  where
 * @param label what it is, for messages (e.g. {@code "mat ablation last"})
 * @param width the values it edits (checked against the site's width), or -1 to skip that check
 * @param edit  makes the edit of one token's activation (in place), given the gate listener of
 *              {@code setInterventions} (may be null) for edits that have gates to report
 */
public record HostEdit(Site site, String label, int width, Function<GateListener, ActivationHook> edit) implements Intervention {

    public HostEdit {
        java.util.Objects.requireNonNull(edit, "edit");
    }

    @Override
    public String kind() { return "host_edit"; }

    @Override
    public void validate(LlamaConfig c) {
        ModelChecks.site(c, site);
        if (width >= 0) {
            ModelChecks.width(c, site, label, width);
        }
    }

    @Override
    public List<Var> trainableParameters() { return List.of(); }

    @Override
    public ActivationHook toHook(GateListener gates) { return edit.apply(gates); }

    @Override
    public Var apply(Tape tape, Var x, int promptLength, GateListener gates) {
        throw new UnsupportedOperationException(label + " at " + site + " is Java code for the inference path: it has no "
                + "trainable-path form");
    }
}
