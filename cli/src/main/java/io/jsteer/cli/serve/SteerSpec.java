package io.jsteer.cli.serve;

import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.model.intervene.Strength;

/**
 * One steering request: a vector set by name, a strength, and optionally which layers of the set
 * to use ({@code "4"}, {@code "3-6"}; null = all of them) and which positions get it
 * ({@code all}, {@code prompt}, {@code generated}; null = all).
 *
 * <p>The strength is a length: it multiplies the unit direction of each layer's vector
 * ({@link io.jsteer.steering.vectors.VectorSet#steeringVector}), whatever length the file stores.
 * {@code raw} multiplies the vector as stored instead (llama.cpp's convention).
 */
public record SteerSpec(String vector, float strength, String layers, String positions, boolean raw) {

    /** A spec with jsteer's strength convention (a length along the unit direction). */
    public SteerSpec(String vector, float strength, String layers, String positions) {
        this(vector, strength, layers, positions, false);
    }

    /** The same spec at other positions. */
    public SteerSpec at(String newPositions) {
        return new SteerSpec(vector, strength, layers, newPositions, raw);
    }

    /** The command-line form back, e.g. {@code happy:4@3} or {@code happy:4:raw@3}, for logs. */
    public String label() {
        return vector + ":" + (strength == Math.rint(strength) ? String.valueOf((long) strength) : String.valueOf(strength))
                + (raw ? ":raw" : "") + (layers == null ? "" : "@" + layers)
                + (positions == null || positions.equals("all") ? "" : " (" + positions + ")");
    }

    /**
     * Parses the command-line form {@code NAME[:STRENGTH][:raw][@LAYERS]}, e.g. {@code happy:4@3},
     * {@code happy@2-4} (strength 1) or {@code happy:4:raw@3} (4 times the vector as stored).
     */
    public static SteerSpec parse(String text) {
        String s = text.trim();
        String layers = null;
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            layers = s.substring(at + 1);
            s = s.substring(0, at);
        }
        boolean raw = false;
        if (s.endsWith(":raw")) {
            raw = true;
            s = s.substring(0, s.length() - ":raw".length());
        }
        float strength = 1f;
        int colon = s.lastIndexOf(':');
        if (colon > 0) {
            String num = s.substring(colon + 1);
            try {
                strength = Float.parseFloat(num);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("steering '" + text + "': strength '" + num + "' is not a number "
                        + "(expected FILE[:STRENGTH][:raw][@LAYERS], e.g. happy.json:4@3)");
            }
            s = s.substring(0, colon);
        }
        if (s.isEmpty()) {
            throw new IllegalArgumentException("steering '" + text + "' names no vector (expected FILE[:STRENGTH][:raw][@LAYERS])");
        }
        Strength.check("steering '" + LayerSelection.quoteText(text) + "'", strength);
        return new SteerSpec(s, strength, layers, null, raw);
    }
}
