package io.jsteer.steering.capture;

import io.jsteer.model.intervene.Site;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A sink that keeps every captured vector in memory: for small captures (dim × rows × sites
 * floats) and tests. For large ones use {@link ActivationStore} or, for mean differences only,
 * {@link MeanAccumulator}. Every site receives the same tokens in the same order (the capture
 * guarantees it), so the n-th vector of each site belongs to row n.
 */
public final class InMemoryActivations implements ActivationSink, Activations {

    private final List<Site> sites;
    private final int dim;
    private final Map<Site, List<float[]>> vectors = new HashMap<>();
    private final List<RowInfo> infos = new ArrayList<>();
    private final Map<Site, Integer> siteIndex = new HashMap<>();

    public InMemoryActivations(List<Site> sites, int dim) {
        this.sites = List.copyOf(sites);
        this.dim = dim;
        for (int k = 0; k < sites.size(); k++) {
            siteIndex.put(sites.get(k), k);
            vectors.put(sites.get(k), new ArrayList<>());
        }
    }

    @Override
    public void accept(int prompt, CapturePrompt p, int position, Site site, float[] x) {
        List<float[]> list = vectors.get(site);
        if (list == null) {
            throw new IllegalArgumentException("site " + site + " is not one of " + sites);
        }
        list.add(java.util.Arrays.copyOf(x, dim));
        // The first site's vectors define the rows; the other sites see the same tokens in the same order.
        if (siteIndex.get(site) == 0) {
            infos.add(new RowInfo(prompt, p.group(), position, p.label()));
        }
    }

    @Override
    public List<Site> sites() { return sites; }

    @Override
    public int dim() { return dim; }

    @Override
    public int rows() { return infos.size(); }

    @Override
    public RowInfo info(int row) { return infos.get(row); }

    @Override
    public void copy(Site site, int row, float[] dst) {
        requireSite(site);
        System.arraycopy(vectors.get(site).get(row), 0, dst, 0, dim);
    }
}
