package io.jsteer.model.intervene;

import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;

/**
 * One edit of the activations at one {@link Site}, applied identically on the inference path
 * (compiled into an {@link ActivationHook}, see {@link InterventionSet#toHooks}) and on the
 * trainable path (as tape ops, see {@link InterventionSet#toTapeHooks}), where its parameters
 * may be trainable {@link Var}s. Several make an ordered {@link InterventionSet}.
 *
 * <p>Parameters are read when the hook is compiled: an inference hook keeps a snapshot, so
 * compile again after training changes them. The trainable path uses the Vars themselves.
 */
public sealed interface Intervention permits AddVector, Ablate, GatedEdit, HostEdit {

    /** A short name for files and reports: {@code add}, {@code ablate}, {@code gated_edit}. */
    String kind();

    Site site();

    /** Checks the site's layer and the parameters' widths against the model (clear errors). */
    void validate(LlamaConfig c);

    /** The trainable Vars among the parameters (those with {@code requiresGrad}). */
    List<Var> trainableParameters();

    /** The inference-path hook (one token at a time); {@code gates} may be null. */
    ActivationHook toHook(GateListener gates);

    /**
     * The trainable-path edit of {@code x [T, dim]} (row t at position t; rows before
     * {@code promptLength} are prompt); {@code gates} may be null.
     */
    Var apply(Tape tape, Var x, int promptLength, GateListener gates);
}
