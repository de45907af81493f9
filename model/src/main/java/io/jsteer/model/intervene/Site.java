package io.jsteer.model.intervene;

/** A named place in the residual stream: a kind and a 0-based block index, written {@code resid_post:3}. */
public record Site(SiteKind kind, int layer) {

    public Site {
        if (layer < 0) {
            throw new IllegalArgumentException("site layer must be 0 or more, got " + layer);
        }
    }

    public static Site parse(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("site '" + s + "' must look like resid_post:3");
        }
        try {
            return new Site(SiteKind.parse(s.substring(0, colon)), Integer.parseInt(s.substring(colon + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("site '" + s + "': layer is not a number");
        }
    }

    @Override
    public String toString() {
        return kind.label() + ":" + layer;
    }
}
