package io.jsteer.steering.vectors;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.Intervention;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * Steering vectors for one site kind, one vector [width] per layer, with their provenance.
 *
 * @param kind    the site kind, e.g. RESID_POST: vector of layer L acts at {@code kind:L}
 * @param vectors layer → vector; all of one width; copied, read-only
 */
public record VectorSet(SiteKind kind, SortedMap<Integer, float[]> vectors, Provenance provenance) {

    public VectorSet {
        if (vectors.isEmpty()) {
            throw new IllegalArgumentException("a vector set needs at least one layer");
        }
        TreeMap<Integer, float[]> copy = new TreeMap<>();
        int width = -1;
        for (Map.Entry<Integer, float[]> e : vectors.entrySet()) {
            if (e.getKey() < 0) {
                throw new IllegalArgumentException("layer " + e.getKey() + " is negative");
            }
            float[] v = e.getValue();
            if (width < 0) {
                width = v.length;
            } else if (v.length != width) {
                throw new IllegalArgumentException("layer " + e.getKey() + " has width " + v.length + ", layer "
                        + copy.firstKey() + " has " + width);
            }
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    throw new IllegalArgumentException("layer " + e.getKey() + " value " + i + " is " + v[i]);
                }
            }
            copy.put(e.getKey(), v.clone());
        }
        if (width == 0) {
            throw new IllegalArgumentException("vectors are empty");
        }
        vectors = Collections.unmodifiableSortedMap(copy);
    }

    public int width() {
        return vectors.get(vectors.firstKey()).length;
    }

    /** A copy of layer {@code layer}'s vector. */
    public float[] vector(int layer) {
        float[] v = vectors.get(layer);
        if (v == null) {
            throw new IllegalArgumentException("the vector set has no layer " + layer + " (layers " + vectors.keySet() + ")");
        }
        return v.clone();
    }

    public Site site(int layer) {
        return new Site(kind, layer);
    }

    /**
     * The steering this set stands for, under jsteer's strength convention: one {@link AddVector}
     * of {@code strength × unit(vector(l))} (a length) at {@code kind:l} for each of {@code layers}
     * (in the given order), on the tokens {@code positions} include.
     */
    public InterventionSet interventions(Collection<Integer> layers, double strength, Positions positions) {
        return interventions(layers, strength, positions, false);
    }

    /** As {@link #interventions(Collection, double, Positions)}; {@code raw}: {@code strength × vector(l)} as stored instead. */
    public InterventionSet interventions(Collection<Integer> layers, double strength, Positions positions, boolean raw) {
        List<Intervention> items = new ArrayList<>(layers.size());
        for (int layer : layers) {
            items.add(AddVector.of(site(layer), steeringVector(layer, raw), strength, positions));
        }
        return new InterventionSet(items);
    }

    /** L2 norm per layer. */
    public SortedMap<Integer, Double> norms() {
        TreeMap<Integer, Double> n = new TreeMap<>();
        vectors.forEach((l, v) -> n.put(l, VectorAlgebra.norm(v)));
        return n;
    }

    /**
     * Checks the set against a model: the width of the model at the set's site (the residual
     * stream, or all heads together at attn_heads), every layer inside the model.
     *
     * @throws IllegalArgumentException naming the set's and the model's numbers
     */
    public void requireFits(LlamaConfig model, String what) {
        int expected = model.siteWidth(kind);
        if (width() != expected) {
            throw new IllegalArgumentException(what + ": vectors have width " + width() + " but the model's " + kind.label()
                    + " has " + expected + " (made for another model? provenance says " + provenance.model() + ")");
        }
        if (vectors.lastKey() >= model.nLayers()) {
            throw new IllegalArgumentException(what + ": has a vector for layer " + vectors.lastKey() + " but the model has "
                    + model.nLayers() + " blocks (0.." + (model.nLayers() - 1) + ")");
        }
    }

    /** The provenance {@code extra} key of the typical residual norm per layer (see {@link #residNorms()}). */
    public static final String RESID_NORMS = "resid_norms";

    /**
     * What strength 1 adds at {@code layer}, jsteer's one strength convention: the unit direction
     * of the stored vector, so {@code --steer NAME:S} adds a vector of length S whatever length the
     * set stores (extract keeps the raw mean-difference length; the demo, KTS and llama.cpp's
     * generator store unit vectors) and S means the same in run, chat, serve, sweep, lens, eval,
     * KTS's c and an exported control vector. With {@code raw} the vector as stored (llama.cpp's
     * {@code --control-vector-scaled}, and jsteer before this convention).
     *
     * @throws IllegalArgumentException when the layer's vector is zero (it has no direction)
     */
    public float[] steeringVector(int layer, boolean raw) {
        float[] v = vector(layer);
        if (raw) {
            return v;
        }
        double n = VectorAlgebra.norm(v);
        if (n == 0) {
            throw new IllegalArgumentException("the vector of layer " + layer + " is zero, so it has no direction to add"
                    + " (use :raw to add it as stored, which adds nothing)");
        }
        return VectorAlgebra.scale(v, 1 / n);
    }

    /**
     * The typical L2 norm of the residual stream at the set's site, per layer: the mean ||h|| over
     * the tokens captured when the set was made ({@code extra.resid_norms}). It puts a strength in
     * proportion (a length of 4 is half of a stream of norm 8); empty for sets that did not record
     * it (imported control vectors, sets written before it was recorded).
     */
    public java.util.Optional<SortedMap<Integer, Double>> residNorms() {
        if (!(provenance.extra().get(RESID_NORMS) instanceof Map<?, ?> m)) {
            return java.util.Optional.empty();
        }
        TreeMap<Integer, Double> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(Integer.parseInt(k.toString()), ((Number) v).doubleValue()));
        return java.util.Optional.of(out);
    }

    /**
     * For stderr: the length strength {@code s} adds at {@code layer} and, when the set recorded
     * it, that length as a share of the stream's typical norm there, e.g. {@code "length 4
     * (55% of the typical |resid_post:3| 7.31)"}.
     */
    public String strengthNote(double s, boolean raw, int layer) {
        double length = Math.abs(s) * (raw ? VectorAlgebra.norm(vectors.get(layer)) : 1);
        String site = kind.label() + ":" + layer;
        return residNorms().map(n -> String.format(java.util.Locale.ROOT, "length %.3g (%.0f%% of the typical |%s| %.3g)",
                        length, 100 * length / n.get(layer), site, n.get(layer)))
                .orElse(String.format(java.util.Locale.ROOT, "length %.3g (no typical |%s| recorded)", length, site));
    }

    /**
     * A warning for sets whose strengths read differently since strengths are lengths: vectors
     * not of unit length and no recorded residual norm mark a set written by an older jsteer,
     * which multiplied the stored vector. Empty for unit vectors (nothing changes) and new sets.
     */
    public java.util.Optional<String> legacyStrengthNote(String name) {
        if (residNorms().isPresent()) {
            return java.util.Optional.empty();
        }
        double lo = norms().values().stream().mapToDouble(d -> d).min().orElse(1);
        double hi = norms().values().stream().mapToDouble(d -> d).max().orElse(1);
        if (Math.abs(lo - 1) < 1e-3 && Math.abs(hi - 1) < 1e-3) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(String.format(java.util.Locale.ROOT, "%s records no residual norm (made by an older jsteer or"
                + " imported) and its vectors have norms %.3g-%.3g: a strength S adds length S along each vector's unit direction;"
                + " append :raw (NAME:S:raw) to multiply the vectors as stored, as older jsteer and llama.cpp do", name, lo, hi));
    }

    /** The same set with the typical residual norm of each layer recorded (see {@link #residNorms()}). */
    public VectorSet withResidNorms(SortedMap<Integer, Double> norms) {
        if (!norms.keySet().equals(vectors.keySet())) {
            throw new IllegalArgumentException("residual norms for layers " + norms.keySet() + " but the set has " + vectors.keySet());
        }
        Map<String, Double> keyed = new LinkedHashMap<>();
        norms.forEach((l, n) -> {
            if (!(Double.isFinite(n) && n > 0)) {
                throw new IllegalArgumentException("residual norm of layer " + l + " is " + n + "; it must be a positive number");
            }
            keyed.put(Integer.toString(l), n);
        });
        return new VectorSet(kind, vectors, provenance.with(RESID_NORMS, keyed));
    }

    /** Each vector times {@code s}. */
    public VectorSet scaled(double s) {
        return map((l, v) -> VectorAlgebra.scale(v, s), "scaled " + s);
    }

    /** Each vector at unit norm. */
    public VectorSet normalised() {
        return map((l, v) -> steeringVector(l, false), "normalised");
    }

    /** Layer-wise sum with {@code other} (same kind, width and layers). */
    public VectorSet plus(VectorSet other) {
        requireCompatible(other, "plus");
        return map((l, v) -> VectorAlgebra.add(v, other.vectors.get(l)), "plus " + other.provenance.method());
    }

    /** Each vector with its component along {@code other}'s vector of the same layer removed. */
    public VectorSet orthogonalisedAgainst(VectorSet other) {
        requireCompatible(other, "orthogonalise");
        return map((l, v) -> VectorAlgebra.orthogonalise(v, other.vectors.get(l)), "orthogonalised against "
                + other.provenance.method());
    }

    /** Layer-wise cosine with {@code other}. */
    public SortedMap<Integer, Double> cosine(VectorSet other) {
        requireCompatible(other, "cosine");
        TreeMap<Integer, Double> c = new TreeMap<>();
        vectors.forEach((l, v) -> c.put(l, VectorAlgebra.cosine(v, other.vectors.get(l))));
        return c;
    }

    /** Only the given layers. */
    public VectorSet layers(java.util.Collection<Integer> keep) {
        TreeMap<Integer, float[]> out = new TreeMap<>();
        for (int l : keep) {
            out.put(l, vector(l));
        }
        VectorSet kept = new VectorSet(kind, out, provenance);
        // the recorded residual norms follow the layers kept
        return residNorms().map(n -> {
            TreeMap<Integer, Double> k = new TreeMap<>(n);
            k.keySet().retainAll(out.keySet());
            return kept.withResidNorms(k);
        }).orElse(kept);
    }

    private void requireCompatible(VectorSet other, String op) {
        if (other.kind != kind) {
            throw new IllegalArgumentException(op + ": sets are at different sites, " + kind.label() + " and " + other.kind.label());
        }
        if (other.width() != width()) {
            throw new IllegalArgumentException(op + ": sets have different widths, " + width() + " and " + other.width());
        }
        if (!other.vectors.keySet().equals(vectors.keySet())) {
            throw new IllegalArgumentException(op + ": sets have different layers, " + vectors.keySet() + " and "
                    + other.vectors.keySet());
        }
    }

    private VectorSet map(BiFunction<Integer, float[], float[]> f, String note) {
        TreeMap<Integer, float[]> out = new TreeMap<>();
        vectors.forEach((l, v) -> out.put(l, f.apply(l, v)));
        java.util.List<Object> ops = provenance.extra().get("operations") instanceof java.util.List<?> list
                ? new java.util.ArrayList<>(list) : new java.util.ArrayList<>();
        ops.add(note);
        return new VectorSet(kind, out, provenance.with("operations", ops));
    }

    /** For tests and logs: layer → norm. */
    @Override
    public String toString() {
        Map<Integer, String> n = new LinkedHashMap<>();
        norms().forEach((l, v) -> n.put(l, String.format("%.4g", v)));
        return "VectorSet[" + kind.label() + ", width " + width() + ", " + provenance.method() + ", norms " + n + "]";
    }
}
