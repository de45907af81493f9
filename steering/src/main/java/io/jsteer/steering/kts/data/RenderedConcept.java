package io.jsteer.steering.kts.data;

import io.jsteer.model.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A pool concept as KTS training reads it: its contrast pairs already rendered to token ids,
 * {@code {first, second}} per pair (the vector is {@code mean(h(first) − h(second))} at the last
 * token), so that any prompt format (plain, the reference's [INST] string, a chat template) can
 * feed training and the vector is read under the format it was rendered with.
 */
public record RenderedConcept(String name, List<int[][]> pairs) {

    public RenderedConcept {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("concept '" + name + "' has no contrast pairs");
        }
        for (int[][] p : pairs) {
            if (p.length != 2 || p[0].length == 0 || p[1].length == 0) {
                throw new IllegalArgumentException("concept '" + name + "': a contrast pair is two non-empty id sequences");
            }
        }
        pairs = List.copyOf(pairs);
    }

    /** BOS + text on each side: how the demo's plain concepts were always encoded. */
    public static RenderedConcept plain(Concept c, Tokenizer tok) {
        List<int[][]> ids = new ArrayList<>();
        c.pairs().forEach(p -> ids.add(new int[][] {tok.encode(p.positive(), true), tok.encode(p.negative(), true)}));
        return new RenderedConcept(c.name(), ids);
    }
}
