package io.jsteer.steering.vectors;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.data.DatasetSource;
import io.jsteer.weights.cvec.ControlVector;
import io.jsteer.weights.cvec.ControlVectorFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Conversion between vector sets and llama.cpp control vectors. llama.cpp adds tensor
 * {@code direction.N} to the output of 0-based block N, which is jsteer's {@code resid_post:N};
 * block 0 cannot be addressed there, so a vector at resid_post:0 cannot be exported.
 */
public final class ControlVectors {

    private ControlVectors() {}

    /**
     * @param set           a set at resid_post
     * @param model         the model, to write {@code layer_count = n_layer − 1} as llama.cpp's
     *                      generator does and to check the width; null to use the highest layer
     * @param modelHint     {@code controlvector.model_hint}, the model's architecture (e.g. "llama")
     * @param skipLayerZero drop a resid_post:0 vector instead of failing (the caller should tell
     *                      the user it was dropped)
     * @throws IllegalArgumentException for another site kind, or a layer-0 vector without skipLayerZero
     */
    public static ControlVector toControlVector(VectorSet set, LlamaConfig model, String modelHint, boolean skipLayerZero) {
        if (set.kind() != SiteKind.RESID_POST) {
            throw new IllegalArgumentException("llama.cpp control vectors act at resid_post (the output of a block);"
                    + " this set is at " + set.kind().label());
        }
        if (model != null) {
            set.requireFits(model, "control-vector export");
        }
        TreeMap<Integer, float[]> directions = new TreeMap<>(set.vectors());
        if (directions.containsKey(0)) {
            if (!skipLayerZero) {
                throw new IllegalArgumentException("the set has a vector at resid_post:0, which llama.cpp cannot apply"
                        + " (it never steers block 0 and rejects direction.0); drop layer 0 or allow skipping it");
            }
            directions.remove(0);
        }
        if (directions.isEmpty()) {
            throw new IllegalArgumentException("nothing to export: the set's only layer is 0, which llama.cpp cannot address");
        }
        int layerCount = model != null ? Math.max(model.nLayers() - 1, directions.lastKey()) : directions.lastKey();
        return new ControlVector(modelHint, layerCount, directions);
    }

    /** Exports {@code set} to a control-vector GGUF (see {@link #toControlVector}); returns what was written. */
    public static ControlVector export(VectorSet set, Path out, LlamaConfig model, String modelHint, boolean skipLayerZero)
            throws IOException {
        ControlVector cv = toControlVector(set, model, modelHint, skipLayerZero);
        ControlVectorFiles.write(out, cv);
        return cv;
    }

    /** A control vector as a resid_post vector set, its file and hash as the dataset of its provenance. */
    public static VectorSet fromControlVector(ControlVector cv, Path source) {
        SortedMap<Integer, float[]> vectors = new TreeMap<>(cv.directions());
        Provenance p = Provenance.of(cv.modelHint(), "", "controlvector_import", "unknown (llama.cpp control vector)",
                List.of(DatasetSource.of(source)))
                .with("controlvector_model_hint", cv.modelHint())
                .with("controlvector_layer_count", cv.layerCount());
        return new VectorSet(SiteKind.RESID_POST, vectors, p);
    }

    /** Reads a control-vector GGUF as a vector set. */
    public static VectorSet importFile(Path gguf) {
        return fromControlVector(ControlVectorFiles.read(gguf), gguf);
    }
}
