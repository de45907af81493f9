package io.jsteer.steering.capture;

import io.jsteer.model.intervene.Site;
import java.util.List;

/**
 * Captured activations, read back: {@link #rows()} rows, each with a vector of {@link #dim()}
 * floats at every site. Row r holds the same token at every site. Kept in memory
 * ({@link InMemoryActivations}) or in files ({@link ActivationStore}).
 */
public interface Activations {

    List<Site> sites();

    int dim();

    int rows();

    RowInfo info(int row);

    /** Copies the row's vector at {@code site} into {@code dst[0 .. dim)}. */
    void copy(Site site, int row, float[] dst);

    default float[] vector(Site site, int row) {
        float[] v = new float[dim()];
        copy(site, row, v);
        return v;
    }

    default void requireSite(Site site) {
        if (!sites().contains(site)) {
            throw new IllegalArgumentException("site " + site + " was not captured (captured: " + sites() + ")");
        }
    }
}
