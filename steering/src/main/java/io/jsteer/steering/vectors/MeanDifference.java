package io.jsteer.steering.vectors;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.MeanAccumulator;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Contrastive mean difference, mean(label 1) − mean(label 0), per layer. On A/B data captured at
 * the answer letter (matching = 1, not matching = 0) this is CAA; on contrastive pairs captured at
 * the last token it is the classic difference-in-means steering vector.
 */
public final class MeanDifference {

    private MeanDifference() {}

    /** From running sums (bounded memory), for every layer captured at {@code kind}. */
    public static SortedMap<Integer, float[]> of(MeanAccumulator acc, SiteKind kind) {
        SortedMap<Integer, float[]> out = new TreeMap<>();
        for (Site s : acc.sites()) {
            if (s.kind() == kind) {
                out.put(s.layer(), acc.meanDifference(s, 1, 0));
            }
        }
        requireSome(out, kind);
        return out;
    }

    /** From stored rows, for every layer captured at {@code kind}. */
    public static SortedMap<Integer, float[]> of(Activations acts, SiteKind kind) {
        SortedMap<Integer, float[]> out = new TreeMap<>();
        for (Site s : acts.sites()) {
            if (s.kind() == kind) {
                out.put(s.layer(), ClassStatistics.of(acts, s).difference());
            }
        }
        requireSome(out, kind);
        return out;
    }

    static void requireSome(SortedMap<Integer, float[]> out, SiteKind kind) {
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no " + kind.label() + " sites were captured");
        }
    }
}
