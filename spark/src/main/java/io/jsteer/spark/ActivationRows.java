package io.jsteer.spark;

import io.jsteer.model.intervene.Site;
import io.jsteer.steering.capture.Activations;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.capture.RowInfo;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Captured activations as Parquet rows, written and read by Spark's own Parquet data source. One
 * row per (prompt, token position, site):
 *
 * <pre>
 * prompt        int     index of the prompt in the captured list
 * group         int     its contrastive pair / A/B item, −1 when none
 * label         int     its class (1 positive / matching, 0 the other)
 * position      int     token position, −1 for a mean over the prompt
 * position_kind string  LAST, MEAN, ALL or AT (how the positions were chosen)
 * site          string  e.g. resid_post:3
 * layer         int     the site's block
 * vector        array&lt;float&gt; the activation [dim]
 * </pre>
 *
 * A long table rather than one column per site, so that any tool that reads Parquet (Spark,
 * DuckDB, pandas) can filter by layer without knowing the capture.
 */
public final class ActivationRows {

    public static final StructType SCHEMA = new StructType()
            .add("prompt", DataTypes.IntegerType, false)
            .add("group", DataTypes.IntegerType, false)
            .add("label", DataTypes.IntegerType, false)
            .add("position", DataTypes.IntegerType, false)
            .add("position_kind", DataTypes.StringType, false)
            .add("site", DataTypes.StringType, false)
            .add("layer", DataTypes.IntegerType, false)
            .add("vector", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    private ActivationRows() {}

    /** One Parquet row (see the class comment). */
    static Row row(RowInfo info, PositionMode mode, Site site, float[] x) {
        Float[] boxed = new Float[x.length]; // Spark's external row form of array<float>
        for (int i = 0; i < x.length; i++) {
            boxed[i] = x[i];
        }
        return RowFactory.create(info.prompt(), info.group(), info.label(), info.position(), mode.name(), site.toString(), site.layer(),
                boxed);
    }

    /**
     * Rows read back, as {@link Activations} in capture order (prompt, then position), with the
     * sites in layer order: what {@link io.jsteer.steering.vectors.Extraction#fromRows} takes.
     *
     * @param where the file read (for errors)
     */
    static Activations of(List<Row> rows, String where) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException(where + ": no activation rows");
        }
        TreeSet<Site> siteSet = new TreeSet<>(Comparator.comparing(Site::kind).thenComparingInt(Site::layer));
        Map<Long, RowInfo> infos = new HashMap<>();
        Map<Long, Map<Site, float[]>> vectors = new HashMap<>();
        int dim = -1;
        for (Row r : rows) {
            Site site = Site.parse(r.getString(r.fieldIndex("site")));
            siteSet.add(site);
            RowInfo info = new RowInfo(r.getInt(r.fieldIndex("prompt")), r.getInt(r.fieldIndex("group")), r.getInt(r.fieldIndex("position")),
                    r.getInt(r.fieldIndex("label")));
            List<Float> v = r.getList(r.fieldIndex("vector"));
            if (dim < 0) {
                dim = v.size();
            } else if (v.size() != dim) {
                throw new IllegalArgumentException(where + ": vector of " + v.size() + " floats at prompt " + info.prompt() + " " + site
                        + ", others have " + dim);
            }
            float[] x = new float[v.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = v.get(i);
            }
            long key = ((long) info.prompt() << 32) | (info.position() & 0xffffffffL);
            RowInfo before = infos.putIfAbsent(key, info);
            if (before != null && !before.equals(info)) {
                throw new IllegalArgumentException(where + ": prompt " + info.prompt() + " has two labels or groups");
            }
            if (vectors.computeIfAbsent(key, k -> new HashMap<>()).put(site, x) != null) {
                throw new IllegalArgumentException(where + ": two rows for prompt " + info.prompt() + " position " + info.position() + " "
                        + site);
            }
        }
        List<Site> sites = List.copyOf(siteSet);
        List<Long> keys = new ArrayList<>(infos.keySet());
        // capture order: prompt, then position (−1, a prompt's mean, is its only row)
        keys.sort(Comparator.comparingInt((Long k) -> infos.get(k).prompt()).thenComparingInt(k -> infos.get(k).position()));
        List<RowInfo> ordered = new ArrayList<>(keys.size());
        List<float[][]> data = new ArrayList<>(keys.size());
        for (long k : keys) {
            Map<Site, float[]> bySite = vectors.get(k);
            float[][] row = new float[sites.size()][];
            for (int s = 0; s < sites.size(); s++) {
                row[s] = bySite.get(sites.get(s));
                if (row[s] == null) {
                    throw new IllegalArgumentException(where + ": prompt " + infos.get(k).prompt() + " position " + infos.get(k).position()
                            + " has no row for " + sites.get(s));
                }
            }
            ordered.add(infos.get(k));
            data.add(row);
        }
        return new Loaded(sites, dim, ordered, data);
    }

    /** Rows held in memory: [row][site][dim]. */
    private record Loaded(List<Site> sites, int dim, List<RowInfo> infos, List<float[][]> data) implements Activations {

        @Override
        public int rows() { return infos.size(); }

        @Override
        public RowInfo info(int row) { return infos.get(row); }

        @Override
        public void copy(Site site, int row, float[] dst) {
            int s = sites.indexOf(site);
            if (s < 0) {
                requireSite(site); // throws, naming the captured sites
            }
            System.arraycopy(data.get(row)[s], 0, dst, 0, dim);
        }
    }
}
