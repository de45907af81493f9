package io.jsteer.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jline.keymap.KeyMap;
import org.jline.reader.Binding;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.Reference;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * Where chat reads the user's lines: JLine (line editing, history kept across sessions) when the
 * chat runs on a terminal, plain lines otherwise (a pipe, a file, the tests), where editing keys
 * mean nothing and JLine would only print warnings.
 */
interface ChatInput extends AutoCloseable {

    /** The next line, or null at the end of the input. */
    String read() throws IOException;

    /** Whether the user has line editing and history (said in the banner). */
    boolean editing();

    @Override
    void close() throws IOException;

    /** Plain lines from {@code in}, with the prompt "> " on {@code err} (stdout carries only replies). */
    static ChatInput plain(InputStream in, PrintStream err) {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        return new ChatInput() {
            @Override
            public String read() throws IOException {
                err.print("> ");
                err.flush();
                return reader.readLine();
            }

            @Override
            public boolean editing() {
                return false;
            }

            @Override
            public void close() {
                // System.in stays open: it is not ours to close
            }
        };
    }

    /** JLine on the process's terminal; Ctrl-C goes to {@code interrupt} while reading and while a reply is generated. */
    static ChatInput terminal(Path history, ReplyInterrupt interrupt) throws IOException {
        return new Editing(TerminalBuilder.builder().system(true).build(), history, interrupt);
    }

    /** JLine on a given terminal (tests use one over streams). */
    final class Editing implements ChatInput {
        private final Terminal terminal;
        private final LineReader reader;
        private final ReplyInterrupt interrupt;

        Editing(Terminal terminal, Path history, ReplyInterrupt interrupt) {
            this.terminal = terminal;
            this.interrupt = interrupt.reprompt(false);
            LineReaderBuilder b = LineReaderBuilder.builder().terminal(terminal).appName("jsteer");
            if (history != null) {
                b.variable(LineReader.HISTORY_FILE, history);
            }
            this.reader = b.build();
            // JLine binds the arrows as terminfo says a terminal in keypad mode sends them (ESC O A);
            // many terminals and multiplexers send ESC [ A anyway, which would otherwise insert "[A"
            KeyMap<Binding> main = reader.getKeyMaps().get(LineReader.MAIN);
            main.bind(new Reference(LineReader.UP_LINE_OR_HISTORY), "\u001B[A");
            main.bind(new Reference(LineReader.DOWN_LINE_OR_HISTORY), "\u001B[B");
            main.bind(new Reference(LineReader.FORWARD_CHAR), "\u001B[C");
            main.bind(new Reference(LineReader.BACKWARD_CHAR), "\u001B[D");
            main.bind(new Reference(LineReader.BEGINNING_OF_LINE), "\u001B[H");
            main.bind(new Reference(LineReader.END_OF_LINE), "\u001B[F");
            // outside readLine (while a reply is generated) the terminal delivers Ctrl-C here
            terminal.handle(Terminal.Signal.INT, s -> interrupt.press());
        }

        @Override
        public String read() {
            while (true) {
                try {
                    return reader.readLine("> ");
                } catch (UserInterruptException ctrlC) {
                    interrupt.press(); // at the prompt: the hint, or quit when it is the second press
                } catch (EndOfFileException eof) {
                    return null;
                }
            }
        }

        @Override
        public boolean editing() {
            return true;
        }

        @Override
        public void close() throws IOException {
            reader.getHistory().save();
            terminal.close();
        }
    }
}
