package io.jsteer.model.intervene;

import java.util.Locale;

/** The points of a block where the residual stream (or a branch into it) can be read or edited. */
public enum SiteKind {
    /** Input of block L (= resid_post of block L-1; the embeddings for L = 0). */
    RESID_PRE,
    /**
     * Input of o_proj: the attention heads' outputs concatenated (nHeads × headSize = dim),
     * before the output projection. MAT-Steer's runtime hook sits here.
     */
    ATTN_HEADS,
    /** Output of the attention branch (after o_proj), before it is added to the stream. */
    ATTN_OUT,
    /** Output of the feed-forward branch (after down_proj), before it is added to the stream. */
    MLP_OUT,
    /** Output of block L after the FFN residual add; llama.cpp control vectors act here. */
    RESID_POST;

    /** The name used in files and on the command line, e.g. {@code resid_post}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SiteKind parse(String s) {
        for (SiteKind k : values()) {
            if (k.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown site '" + s + "' (expected resid_pre, attn_heads, attn_out, mlp_out or resid_post)");
    }
}
