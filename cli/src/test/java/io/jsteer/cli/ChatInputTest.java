package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat's line editing on a terminal: arrow keys edit and recall lines instead of reaching the model (issue 14, point 2). */
class ChatInputTest {

    /**
     * An xterm over streams: the keys a user would type, the screen discarded; Ctrl-C (VINTR) raises
     * SIGINT on the terminal as a real one's line discipline does.
     */
    private static Terminal xterm(String keys) throws Exception {
        Attributes attributes = new Attributes();
        attributes.setLocalFlag(Attributes.LocalFlag.ISIG, true);
        attributes.setControlChar(Attributes.ControlChar.VINTR, 3);
        return TerminalBuilder.builder().system(false).type("xterm").encoding(StandardCharsets.UTF_8).attributes(attributes)
                .streams(new ByteArrayInputStream(keys.getBytes(StandardCharsets.UTF_8)), new ByteArrayOutputStream()).build();
    }

    /** What the terminal's arrow keys send (xterm in keypad mode, as JLine sets it: ESC O A ...). */
    private static String key(Capability c) throws Exception {
        try (Terminal t = xterm("")) {
            return t.getStringCapability(c).replace("\\E", "\u001B");
        }
    }

    @Test
    void arrowKeysEditAndRecallLinesAndHistoryIsSaved(@TempDir Path dir) throws Exception {
        Path history = dir.resolve("chat_history");
        ReplyInterrupt interrupt = new ReplyInterrupt(System::nanoTime, () -> { }, new PrintStream(new ByteArrayOutputStream()));
        // line 1; Up + Enter recalls it; "helo", Left, "l" gives "hello"; then the input ends
        String up = key(Capability.key_up), left = key(Capability.key_left);
        assertTrue(up.startsWith("\u001B"), up);
        try (ChatInput in = new ChatInput.Editing(xterm("Tell me a story.\r" + up + "\rhelo" + left + "l\r"), history, interrupt)) {
            assertTrue(in.editing());
            assertEquals("Tell me a story.", in.read());
            assertEquals("Tell me a story.", in.read());
            assertEquals("hello", in.read());
            assertNull(in.read());
        }
        // the sequences of a terminal that ignores keypad mode (ESC [ A), as the pty check under script(1) sent
        try (ChatInput in = new ChatInput.Editing(xterm("first\rsecond\r\u001B[A\u001B[A\rab\u001B[Dx\u001B[H>\r"), null, interrupt)) {
            assertEquals("first", in.read());
            assertEquals("second", in.read());
            assertEquals("first", in.read()); // Up twice: two lines back
            assertEquals(">axb", in.read());  // Left, then Home
        }
        String saved = Files.readString(history);
        assertTrue(saved.contains("Tell me a story.") && saved.contains("hello"), saved);
        assertFalse(saved.contains("\u001B"), saved);
    }

    @Test
    void withoutATerminalLinesArePlainAndThePromptGoesToStderr() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (ChatInput in = ChatInput.plain(new ByteArrayInputStream("one\ntwo\n".getBytes(StandardCharsets.UTF_8)),
                new PrintStream(err, true, StandardCharsets.UTF_8))) {
            assertFalse(in.editing());
            assertEquals("one", in.read());
            assertEquals("two", in.read());
            assertNull(in.read());
        }
        assertEquals("> > > ", err.toString(StandardCharsets.UTF_8));
    }
}
