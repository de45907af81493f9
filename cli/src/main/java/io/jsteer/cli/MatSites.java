package io.jsteer.cli;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;

/** MAT-Steer's default site. */
final class MatSites {

    private MatSites() {}

    /** attn_heads at block ⌊14/32 · n⌋: the paper's layer 14 of Llama-3.1-8B's 32, scaled to the model's depth. */
    static Site defaultSite(int nLayers) {
        return new Site(SiteKind.ATTN_HEADS, Math.min(nLayers - 1, nLayers * 14 / 32));
    }
}
