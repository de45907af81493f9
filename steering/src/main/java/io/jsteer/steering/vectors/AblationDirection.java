package io.jsteer.steering.vectors;

import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.MeanAccumulator;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The direction to project out for directional ablation, as in "Refusal in Language Models Is
 * Mediated by a Single Direction": the difference of mean activations between harmful (label 1)
 * and harmless (label 0) prompts, normalised to unit length per layer.
 */
public final class AblationDirection {

    private AblationDirection() {}

    public static SortedMap<Integer, float[]> of(MeanAccumulator acc, SiteKind kind) {
        return unit(MeanDifference.of(acc, kind));
    }

    public static SortedMap<Integer, float[]> of(Activations acts, SiteKind kind) {
        return unit(MeanDifference.of(acts, kind));
    }

    private static SortedMap<Integer, float[]> unit(SortedMap<Integer, float[]> diffs) {
        SortedMap<Integer, float[]> out = new TreeMap<>();
        diffs.forEach((l, d) -> out.put(l, VectorAlgebra.normalise(d)));
        return out;
    }
}
