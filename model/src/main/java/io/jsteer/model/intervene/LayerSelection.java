package io.jsteer.model.intervene;

import java.util.ArrayList;
import java.util.List;

/**
 * The one grammar for choosing blocks, used by every flag and request field that names layers
 * ({@code run --steer FILE@LAYERS}, {@code --ablate}, {@code extract --layers}, {@code sweep --layers},
 * {@code kts train --blocks/--lora-layers}, {@code mat train --layers}, the server's {@code "layers"}):
 *
 * <pre>
 *   all            every block of the model
 *   4              one block (0-based)
 *   3-6            an inclusive range
 *   0,2,5-7        a comma-separated list of the above, no block twice
 * </pre>
 *
 * Parsing only checks the syntax and keeps the ranges as pairs; {@link #resolve} checks every
 * range against the model's block count before it expands anything, so {@code 0-2147483647}
 * costs two comparisons and a one-line error, never a loop or an allocation of its size.
 * Messages quote at most {@link #QUOTED} characters of the text, so a hostile value cannot make
 * an error line huge.
 */
public final class LayerSelection {

    /** Longer texts are refused outright: no real model needs more to name its blocks. */
    public static final int MAX_TEXT = 4096;
    /** How much of the text an error message quotes. */
    static final int QUOTED = 40;
    /** Eighteen digits always fit a long (ranges are kept as longs so no int can overflow). */
    private static final int MAX_DIGITS = 18;

    private final String what;
    private final String text;
    /** from,to pairs; null = all. */
    private final long[] ranges;

    private LayerSelection(String what, String text, long[] ranges) {
        this.what = what;
        this.text = text;
        this.ranges = ranges;
    }

    /** Every block of the model. */
    public static LayerSelection all(String what) {
        return new LayerSelection(what, "all", null);
    }

    /**
     * Parses {@code text}; {@code what} names the flag or field for errors (e.g. {@code --layers},
     * {@code steering[0].layers}).
     *
     * @throws IllegalArgumentException one line naming {@code what}, quoting the text (shortened)
     */
    public static LayerSelection parse(String what, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(what + ": no layers given (expected e.g. 4, 3-6, 0,2,5-7 or all)");
        }
        if (text.length() > MAX_TEXT) {
            throw new IllegalArgumentException(what + " '" + quote(text) + "': " + text.length() + " characters, more than the "
                    + MAX_TEXT + " a layer list may have");
        }
        String t = text.strip();
        if (t.equals("all")) {
            return new LayerSelection(what, t, null);
        }
        List<Long> pairs = new ArrayList<>();
        for (String part : t.split(",", -1)) {
            String p = part.strip();
            int dash = p.indexOf('-');
            long from = number(what, text, dash < 0 ? p : p.substring(0, dash).strip());
            long to = dash < 0 ? from : number(what, text, p.substring(dash + 1).strip());
            if (from > to) {
                throw new IllegalArgumentException(what + " '" + quote(text) + "': range " + from + "-" + to + " runs backwards");
            }
            pairs.add(from);
            pairs.add(to);
        }
        return new LayerSelection(what, t, pairs.stream().mapToLong(Long::longValue).toArray());
    }

    /** {@link #parse} then {@link #resolve} in one step. */
    public static List<Integer> parse(String what, String text, int nBlocks) {
        return parse(what, text).resolve(nBlocks);
    }

    public boolean isAll() {
        return ranges == null;
    }

    /** The text as given (for reports). */
    public String text() {
        return text;
    }

    /**
     * The chosen blocks in ascending order, each checked to exist in a model of {@code nBlocks}
     * blocks before any list is built.
     */
    public List<Integer> resolve(int nBlocks) {
        if (ranges == null) {
            List<Integer> out = new ArrayList<>(nBlocks);
            for (int l = 0; l < nBlocks; l++) {
                out.add(l);
            }
            return out;
        }
        for (int i = 1; i < ranges.length; i += 2) {
            if (ranges[i] >= nBlocks) {
                throw new IllegalArgumentException(what + " '" + quote(text) + "': block " + ranges[i] + " does not exist; the model has "
                        + nBlocks + " blocks (0.." + (nBlocks - 1) + ")");
            }
        }
        // every range is now inside [0, nBlocks) and a block may be listed once, so this loop runs
        // at most nBlocks times before it either finishes or meets a repeat
        boolean[] seen = new boolean[nBlocks];
        for (int i = 0; i < ranges.length; i += 2) {
            for (int l = (int) ranges[i]; l <= ranges[i + 1]; l++) {
                if (seen[l]) {
                    throw new IllegalArgumentException(what + " '" + quote(text) + "': block " + l + " is listed twice");
                }
                seen[l] = true;
            }
        }
        List<Integer> out = new ArrayList<>();
        for (int l = 0; l < nBlocks; l++) {
            if (seen[l]) {
                out.add(l);
            }
        }
        return out;
    }

    private static long number(String what, String text, String s) {
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(what + " '" + quote(text) + "' must look like 4, 3-6, 0,2,5-7 or all "
                    + "(0-based block numbers)");
        }
        if (s.length() > MAX_DIGITS) {
            throw new IllegalArgumentException(what + " '" + quote(text) + "': block " + quote(s) + " is far beyond any model's blocks");
        }
        return Long.parseLong(s);
    }

    /** At most {@link #QUOTED} characters of {@code s}, so an error line stays short (for other parsers' messages too). */
    public static String quoteText(String s) {
        return quote(s);
    }

    static String quote(String s) {
        return s.length() <= QUOTED ? s : s.substring(0, QUOTED) + "…(" + s.length() + " chars)";
    }

    @Override
    public String toString() {
        return text;
    }
}
