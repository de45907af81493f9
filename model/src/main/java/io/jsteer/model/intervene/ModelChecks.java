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

    /** Sites are {@code dim} wide, attn_heads {@code nHeads × headSize} (the same except in models like Qwen3). */
    static void width(LlamaConfig c, Site site, String what, int values) {
        int width = c.siteWidth(site.kind());
        if (values != width) {
            throw new IllegalArgumentException(what + " has " + values + " values, the model's width at "
                    + site.kind().label() + " is " + width + " (site " + site + ")");
        }
    }
}
