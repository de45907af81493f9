package io.jsteer.model.intervene;

import io.jsteer.model.LlamaConfig;

/** The checks every intervention makes against a model, with messages a user can act on. */
final class ModelChecks {

    private ModelChecks() {}

    static void site(LlamaConfig c, Site site) {
        if (site.layer() >= c.nLayers()) {
            throw new IllegalArgumentException("layer " + site.layer() + " but the model has " + c.nLayers()
                    + " blocks (site " + site + ", layers are 0-based)");
        }
    }

    /** Every site is {@code dim} wide (attn_heads too: nHeads × headSize = dim). */
    static void width(LlamaConfig c, Site site, String what, int values) {
        if (values != c.dim()) {
            throw new IllegalArgumentException(what + " has " + values + " values, model width is " + c.dim()
                    + " (site " + site + ")");
        }
    }
}
