package io.jsteer.steering.kts;

import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.Intervention;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Steering as KTS applies it (spec §1): {@code c · v_l} added to the output of block l
 * (resid_post) at every position, for each block with a vector.
 *
 * @param vectors    [nLayers][dim]; a null row leaves that block unsteered
 * @param multiplier c
 */
public record BlockSteering(float[][] vectors, double multiplier) {

    /** Whether this steers anything (some vector and c ≠ 0). */
    public boolean active() {
        if (multiplier == 0 || vectors == null) {
            return false;
        }
        for (float[] v : vectors) {
            if (v != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * The same steering as model.intervene interventions: one {@link AddVector} of {@code v_l}
     * times c at resid_post of every steered block, all positions (empty when inactive).
     */
    public InterventionSet interventions() {
        List<Intervention> items = new ArrayList<>();
        if (active()) {
            for (int l = 0; l < vectors.length; l++) {
                if (vectors[l] != null) {
                    items.add(AddVector.of(new Site(SiteKind.RESID_POST, l), vectors[l], multiplier, Positions.ALL));
                }
            }
        }
        return new InterventionSet(items);
    }
}
