package io.jsteer.model.intervene;

/**
 * Receives the gate values of a {@link GatedEdit} for every token it edits, on both paths, e.g.
 * to count intervened tokens or average gates per attribute. Called on the thread running the
 * model.
 */
@FunctionalInterface
public interface GateListener {

    /**
     * @param site     where the edit sits
     * @param position the token's position (row index on the trainable path)
     * @param inPrompt whether the token counts as prompt
     * @param gates    {@code [T]} one gate per attribute, in (0, 1); a fresh array
     */
    void onGates(Site site, int position, boolean inPrompt, double[] gates);
}
