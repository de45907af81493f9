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
     * The steering this set stands for: one {@link AddVector} of {@code strength × vector(l)} at
     * {@code kind:l} for each of {@code layers} (in the given order), on the tokens {@code positions} include.
     */
    public InterventionSet interventions(Collection<Integer> layers, double strength, Positions positions) {
        List<Intervention> items = new ArrayList<>(layers.size());
        for (int layer : layers) {
            items.add(AddVector.of(site(layer), vector(layer), strength, positions));
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

    /** Each vector times {@code s}. */
    public VectorSet scaled(double s) {
        return map((l, v) -> VectorAlgebra.scale(v, s), "scaled " + s);
    }

    /** Each vector at unit norm. */
    public VectorSet normalised() {
        return map((l, v) -> VectorAlgebra.normalise(v), "normalised");
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
        return new VectorSet(kind, out, provenance);
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
