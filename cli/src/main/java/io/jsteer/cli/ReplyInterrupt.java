package io.jsteer.cli;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * Ctrl-C in {@code jsteer chat}, as llama-cli does it: during a reply it stops the reply and the
 * chat goes on at the prompt; at the prompt it says how to quit; a second press within a second
 * quits. Installed as the JVM's SIGINT handler for the chat's lifetime (the previous handler comes
 * back on {@link #close}), because the default handler ends the process with the conversation.
 */
final class ReplyInterrupt implements AutoCloseable {

    /** Two presses closer than this quit. */
    static final long DOUBLE_PRESS_NANOS = 1_000_000_000L;

    private final LongSupplier clock;
    private final Runnable quit;
    private final PrintStream err;
    private sun.misc.SignalHandler previous;
    private boolean replying;
    private boolean stopReply;
    private long lastPress;
    private boolean pressed;
    private boolean reprompt = true;

    /** @param quit what a double press does (the command: exit with 130, like the default handler) */
    ReplyInterrupt(LongSupplier clock, Runnable quit, PrintStream err) {
        this.clock = clock;
        this.quit = quit;
        this.err = err;
    }

    /** Whether the hint at the prompt prints the prompt again (not when a line editor redraws its own). */
    synchronized ReplyInterrupt reprompt(boolean value) {
        reprompt = value;
        return this;
    }

    /** Installs this as the SIGINT handler; where the platform has no SIGINT, Ctrl-C keeps its default meaning. */
    ReplyInterrupt install() {
        try {
            previous = sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> press());
        } catch (IllegalArgumentException unsupported) {
            previous = null;
        }
        return this;
    }

    /** One Ctrl-C. */
    void press() {
        boolean twice;
        synchronized (this) {
            long now = clock.getAsLong();
            twice = pressed && now - lastPress < DOUBLE_PRESS_NANOS;
            pressed = true;
            lastPress = now;
            if (!twice && replying) {
                stopReply = true;
                return;
            }
        }
        if (twice) {
            err.println();
            quit.run();
        } else {
            boolean prompt;
            synchronized (this) {
                prompt = reprompt;
            }
            err.print("\n(Ctrl-C again quickly to quit, or /exit)\n" + (prompt ? "> " : ""));
            err.flush();
        }
    }

    synchronized void startReply() {
        replying = true;
        stopReply = false;
    }

    /** Whether the reply under way should stop (polled once per generated token). */
    synchronized boolean replyStopped() {
        return stopReply;
    }

    /** Ends the reply; true when Ctrl-C stopped it. */
    synchronized boolean endReply() {
        replying = false;
        boolean stopped = stopReply;
        stopReply = false;
        return stopped;
    }

    @Override
    public void close() {
        if (previous != null) {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), previous);
            previous = null;
        }
    }
}
