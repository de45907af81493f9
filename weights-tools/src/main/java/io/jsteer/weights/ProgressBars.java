package io.jsteer.weights;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Every progress bar of jsteer is built here, so that all of them behave the same on stderr: drawn
 * in place on a terminal, but as plain periodic lines (no carriage-return frames, no ANSI colours)
 * when stderr is a file or a pipe, where frames turn a log into one unreadable line. It lives in
 * weights-tools because that is the lowest module that draws one (the downloader).
 *
 * <p>The mode comes from {@code $JSTEER_PROGRESS} ({@code bar}, {@code plain} or {@code off}) when
 * set; else from {@code -Djsteer.stderr.tty}, which the {@code ./jsteer} launcher sets with the
 * shell's {@code [ -t 2 ]} (the JVM itself cannot ask about stderr alone); else from
 * {@link Console#isTerminal()}.
 */
public final class ProgressBars {

    /** How progress is shown. */
    public enum Mode { BAR, PLAIN, OFF }

    public static final String ENV = "JSTEER_PROGRESS";
    public static final String TTY_PROPERTY = "jsteer.stderr.tty";

    /** Plain lines come this often: a 20 s job writes a few lines, a long one one line per 5 s. */
    static final int PLAIN_INTERVAL_MS = 5000;

    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*[A-Za-z]");

    private ProgressBars() {}

    /** The mode for this process (see the class comment). */
    public static Mode mode() {
        return mode(System.getenv(ENV), System.getProperty(TTY_PROPERTY), System.console());
    }

    static Mode mode(String env, String ttyProperty, Console console) {
        if (env != null && !env.isBlank()) {
            return switch (env.strip().toLowerCase(Locale.ROOT)) {
                case "bar" -> Mode.BAR;
                case "plain" -> Mode.PLAIN;
                case "off" -> Mode.OFF;
                default -> throw new IllegalArgumentException(ENV + " must be bar, plain or off, got '" + env + "'");
            };
        }
        if (ttyProperty != null) {
            return Boolean.parseBoolean(ttyProperty) ? Mode.BAR : Mode.PLAIN;
        }
        return console != null && console.isTerminal() ? Mode.BAR : Mode.PLAIN;
    }

    /** Builds {@code configured} (task name, maximum, unit, ...) to draw on stderr in this process's mode. */
    public static ProgressBar build(ProgressBarBuilder configured) {
        return build(configured, mode(), System.err);
    }

    /** Builds {@code configured} to draw on {@code err} in {@code mode}. */
    public static ProgressBar build(ProgressBarBuilder configured, Mode mode, PrintStream err) {
        switch (mode) {
            case BAR -> configured.setConsumer(new ConsoleProgressBarConsumer(err));
            case PLAIN -> configured.setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(PLAIN_INTERVAL_MS)
                    .setConsumer(new DelegatingProgressBarConsumer(plainLines(err), 100));
            case OFF -> configured.setConsumer(new DelegatingProgressBarConsumer(line -> { }, 100));
        }
        return configured.build();
    }

    /** One line per rendering: the frame's carriage return and colour codes dropped, repeats skipped. */
    private static java.util.function.Consumer<String> plainLines(PrintStream err) {
        String[] last = {null};
        return frame -> {
            String line = ANSI.matcher(frame).replaceAll("").replace("\r", "").strip();
            if (!line.isEmpty() && !line.equals(last[0])) {
                err.println(line);
                err.flush();
                last[0] = line;
            }
        };
    }
}
