package io.jsteer.cli.serve;

import java.util.List;

/**
 * Cuts generated text at the first stop string. Text that could still turn into a stop string
 * (a suffix that is a prefix of one) is held back, so a streaming client never sees part of it.
 */
final class StopStrings {

    private final List<String> stops;
    private final int holdBack;
    private final StringBuilder text = new StringBuilder();
    private int released;
    private boolean stopped;

    StopStrings(List<String> stops) {
        this.stops = stops;
        this.holdBack = stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    /** Adds a decoded piece; returns the text that is now safe to send. */
    String add(String piece) {
        if (stopped) {
            return "";
        }
        text.append(piece);
        int cut = firstStop();
        if (cut >= 0) {
            stopped = true;
            text.setLength(cut);
            return release(cut);
        }
        return release(Math.max(released, text.length() - holdBack));
    }

    /** The end of generation: whatever was held back (cut at a stop string) is released. */
    String finish(String lastPiece) {
        String s = add(lastPiece);
        return s + release(text.length());
    }

    boolean stopped() { return stopped; }

    /** The whole completion so far, without the stop string. */
    String text() { return text.toString(); }

    private int firstStop() {
        int best = -1;
        for (String s : stops) {
            int i = text.indexOf(s, Math.max(0, released - s.length()));
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    private String release(int upTo) {
        if (upTo <= released) {
            return "";
        }
        String s = text.substring(released, upTo);
        released = upTo;
        return s;
    }
}
