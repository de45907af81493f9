package io.jsteer.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/**
 * Run in a child JVM by {@code ChatSessionTest}: the chat's {@link ReplyInterrupt} replaces the
 * SIGINT handler it finds and puts that very handler back when it closes. Exit 0 and one line
 * when it does, 1 and the reason when not.
 */
public final class SigintRestoreCheck {

    private SigintRestoreCheck() {}

    public static void main(String[] args) {
        sun.misc.Signal sigint = new sun.misc.Signal("INT");
        sun.misc.SignalHandler mine = s -> { };
        sun.misc.Signal.handle(sigint, mine);
        ReplyInterrupt interrupt = new ReplyInterrupt(System::nanoTime, () -> { }, new PrintStream(new ByteArrayOutputStream()))
                .install();
        sun.misc.SignalHandler during = sun.misc.Signal.handle(sigint, mine); // the chat's, swapped out for a moment
        sun.misc.Signal.handle(sigint, during);
        interrupt.close();
        sun.misc.SignalHandler after = sun.misc.Signal.handle(sigint, mine);
        if (during == mine || during == sun.misc.SignalHandler.SIG_IGN || during == sun.misc.SignalHandler.SIG_DFL) {
            System.out.println("the chat's handler was not installed (found " + during + ")");
            System.exit(1);
        }
        if (after != mine) {
            System.out.println("the handler found was not put back (found " + after + ")");
            System.exit(1);
        }
        System.out.println("the chat's handler installed, then given back");
    }
}
