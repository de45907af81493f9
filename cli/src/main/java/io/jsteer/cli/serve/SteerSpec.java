package io.jsteer.cli.serve;

import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.model.intervene.Strength;

/**
 * One steering request: a vector set by name, a strength, and optionally which layers of the set
 * to use ({@code "4"}, {@code "3-6"}; null = all of them) and which positions get it
 * ({@code all}, {@code prompt}, {@code generated}; null = all).
 */
public record SteerSpec(String vector, float strength, String layers, String positions) {

    /** The command-line form back, e.g. {@code happy:4@3}, for logs. */
    public String label() {
        return vector + ":" + (strength == Math.rint(strength) ? String.valueOf((long) strength) : String.valueOf(strength))
                + (layers == null ? "" : "@" + layers) + (positions == null || positions.equals("all") ? "" : " (" + positions + ")");
    }

    /**
     * Parses the command-line form {@code NAME[:STRENGTH][@LAYERS]}, e.g. {@code happy:4@3} or
     * {@code happy@2-4} (strength 1).
     */
    public static SteerSpec parse(String text) {
        String s = text.trim();
        String layers = null;
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            layers = s.substring(at + 1);
            s = s.substring(0, at);
        }
        float strength = 1f;
        int colon = s.lastIndexOf(':');
        if (colon > 0) {
            String num = s.substring(colon + 1);
            try {
                strength = Float.parseFloat(num);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("steering '" + text + "': strength '" + num + "' is not a number "
                        + "(expected FILE[:STRENGTH][@LAYERS], e.g. happy.safetensors:4@3)");
            }
            s = s.substring(0, colon);
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("steering '" + text + "' names no vector (expected FILE[:STRENGTH][@LAYERS])");
        }
        Strength.check("steering '" + LayerSelection.quoteText(text) + "'", strength);
        return new SteerSpec(s, strength, layers, null);
    }
}
