package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.cli.CliTest.Result;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

/** Issue 14, point 2: a chat that survives Ctrl-C and a full context, says what it is, and keeps escape codes from the model. */
class ChatSessionTest {

    private static Result chat(String input, String... flags) {
        java.io.InputStream oldIn = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            String[] args = java.util.stream.Stream.concat(java.util.stream.Stream.of("chat", "-m", shared("models/stories260K.gguf").toString(),
                    "--template", "llama2", "--temp", "0", "-t", "1"), java.util.Arrays.stream(flags)).toArray(String[]::new);
            return jsteer(args);
        } finally {
            System.setIn(oldIn);
        }
    }

    @Test
    void aBannerNamesModelTemplateAndHelp() {
        Result r = chat("/help\n", "-n", "4", "-c", "256");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals("jsteer chat: chat template: built-in llama2 template (--template llama2)", lines.get(0));
        assertEquals("jsteer chat: stories260K.gguf, context 256 tokens. /help lists the commands; "
                + "Ctrl-C stops a reply, twice quickly quits.", lines.get(1));
        assertTrue(r.err().contains("commands: /steer FILE[:STRENGTH][:raw][@LAYERS] (STRENGTH = length added along the unit direction), /ablate FILE[@LAYERS], /unsteer, /steering, /help, /exit"), r.err());
        assertFalse(r.err().contains("unknown command"), r.err());
        assertTrue(chat("/frob\n", "-n", "4").err().contains("unknown command /frob; commands:"));
    }

    @Test
    void theModelsOwnTemplateIsUsedAndAnnounced(@TempDir Path dir) throws java.io.IOException {
        Files.copy(shared("models/stories260K.bin"), dir.resolve("stories260K.bin"));
        Files.copy(shared("models/tok512.bin"), dir.resolve("tok512.bin"));
        Path config = dir.resolve("tokenizer_config.json");
        Files.writeString(config, "{\"chat_template\": \"{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\\n"
                + "{% endfor %}{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}\"}");
        Result r = chatWith(dir.resolve("stories260K.bin"), "Once upon a time\n");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().lines().anyMatch(l -> l.equals("jsteer chat: chat template: the model's own template (" + config.toAbsolutePath()
                + " (chat_template))")), r.err());
        assertEquals(1, r.out().strip().split("\n").length, r.out());

        // A template that does not parse stops the command with one line naming the file and the problem.
        Files.writeString(config, "{\"chat_template\": \"{% for m in messages %}{{ m.content }{% endfor %}\"}");
        Result bad = chatWith(dir.resolve("stories260K.bin"), "Hello\n");
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().contains("jsteer: error: chat template of " + config.toAbsolutePath() + " (chat_template): syntax error"), bad.err());
    }

    private static Result chatWith(Path model, String input) {
        java.io.InputStream oldIn = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            return jsteer("chat", "-m", model.toString(), "--temp", "0", "-t", "1", "-n", "6");
        } finally {
            System.setIn(oldIn);
        }
    }

    @Test
    void aFullContextDropsTheOldestTurnsAndKeepsTheSystemPrompt() {
        String turns = "Tell me a story about a cat.\n".repeat(6);
        Result r = chat(turns, "--system", "You tell short stories.", "-n", "12", "-c", "96");
        assertEquals(0, r.code(), r.err());
        assertEquals(6, r.out().strip().split("\n").length, "every turn is answered: " + r.out());
        assertTrue(r.err().contains("chat: context full (96 tokens): dropped the 2 oldest message(s), kept the system prompt"), r.err());
        // whole turns only: user + assistant, so the roles still alternate for the template
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("dropped the (\\d+) oldest").matcher(r.err());
        while (m.find()) {
            assertEquals(0, Integer.parseInt(m.group(1)) % 2, r.err());
        }
        // without the dropping, the same conversation ends the program (the old behaviour)
        assertFalse(r.err().contains("but the context holds"), r.err());

        // a message that cannot fit at all is refused with a message, and the chat goes on
        Result tooLong = chat("Tell me a story. ".repeat(40) + "\nTell me a story.\n", "-n", "4", "-c", "64");
        assertEquals(0, tooLong.code(), tooLong.err());
        assertTrue(tooLong.err().contains("jsteer: error: this message makes a prompt of") && tooLong.err().contains("the context holds 64"),
                tooLong.err());
        assertEquals(1, tooLong.out().strip().split("\n").length, tooLong.out());
    }

    @Test
    void arrowKeysAreNotSentToTheModel() {
        Result plain = chat("Tell me a story.\n", "-n", "8");
        Result arrows = chat("\u001B[A\u001B[DTell me a story.\u001B[B\n", "-n", "8");
        assertEquals(0, arrows.code(), arrows.err());
        assertEquals(plain.out(), arrows.out());
        assertTrue(arrows.err().contains("chat: removed the terminal escape codes"), arrows.err());
        assertFalse(plain.err().contains("escape codes"), plain.err());
    }

    @Test
    void ctrlCStopsTheReplyAtPromptItWarnsAndTwiceQuicklyQuits() {
        AtomicLong now = new AtomicLong(0);
        AtomicInteger quits = new AtomicInteger();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ReplyInterrupt i = new ReplyInterrupt(now::get, quits::incrementAndGet, new PrintStream(buf, true, StandardCharsets.UTF_8));
        i.startReply();
        assertFalse(i.replyStopped());
        i.press();
        assertTrue(i.replyStopped(), "a press during a reply stops it");
        assertTrue(i.endReply());
        assertEquals(0, quits.get());
        assertEquals("", buf.toString(StandardCharsets.UTF_8), "no hint during a reply");

        now.addAndGet(5_000_000_000L);
        i.press(); // at the prompt, long after the last press
        assertTrue(buf.toString(StandardCharsets.UTF_8).contains("Ctrl-C again quickly to quit"), buf.toString());
        assertEquals(0, quits.get());
        now.addAndGet(ReplyInterrupt.DOUBLE_PRESS_NANOS / 2);
        i.press();
        assertEquals(1, quits.get(), "two presses within a second quit");

        now.addAndGet(ReplyInterrupt.DOUBLE_PRESS_NANOS * 3);
        i.startReply();
        i.press();
        assertEquals(1, quits.get(), "presses seconds apart do not quit");
        assertTrue(i.endReply());
        i.startReply();
        assertFalse(i.endReply(), "a new reply starts unstopped");
    }

    /**
     * A real Ctrl-C: the chat runs in its own JVM (as ./jsteer starts it) and gets SIGINT from
     * {@code kill -INT} while it waits at its prompt; it prints the hint and goes on, and the
     * conversation continues. A child process keeps the signal away from the test JVM and from
     * whatever handlers other tests' libraries left there.
     */
    @Test
    void sigintAtThePromptPrintsTheHintAndTheChatGoesOn() throws Exception {
        Process chat = childJvm("io.jsteer.cli.Main", "chat", "-m", shared("models/stories260K.gguf").toString(), "--template", "llama2",
                "--temp", "0", "-n", "6", "-t", "1").start();
        ByteArrayOutputStream err = new ByteArrayOutputStream(), out = new ByteArrayOutputStream();
        Thread errCopy = Thread.ofPlatform().start(() -> copy(chat.getErrorStream(), err));
        Thread outCopy = Thread.ofPlatform().start(() -> copy(chat.getInputStream(), out));
        try (var typing = chat.getOutputStream()) {
            typing.write("Tell me a story.\n".getBytes(StandardCharsets.UTF_8));
            typing.flush();
            waitFor(err, "generated");
            waitFor(err, "generated\n> "); // back at its prompt, reading
            assertEquals(0, new ProcessBuilder("kill", "-INT", String.valueOf(chat.pid())).start().waitFor());
            waitFor(err, "Ctrl-C again quickly to quit");
            typing.write("Tell me a story.\n/exit\n".getBytes(StandardCharsets.UTF_8));
            typing.flush();
        }
        assertTrue(chat.waitFor(60, TimeUnit.SECONDS), err.toString(StandardCharsets.UTF_8));
        errCopy.join(10_000);
        outCopy.join(10_000);
        assertEquals(0, chat.exitValue(), contents(err));
        // a second turn after Ctrl-C: the conversation went on
        assertEquals(2, countOf(contents(err), " generated\n"), contents(err));
    }

    /**
     * The chat puts back the SIGINT handler it found, checked by identity in a child JVM
     * ({@link SigintRestoreCheck}), so that the check sees real handlers wherever the tests run.
     */
    @Test
    void theChatGivesTheSigintHandlerBack() throws Exception {
        Process check = childJvm(SigintRestoreCheck.class.getName()).redirectErrorStream(true).start();
        String said = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(check.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, check.exitValue(), said);
        assertTrue(said.contains("installed, then given back"), said);
    }

    /**
     * A JVM on this test's class path. SIGINT is reset to its default first ({@code env
     * --default-signal=INT}): a JVM started with SIGINT ignored (a background job of a
     * non-interactive shell, as CI runs may be) never installs a handler for it, by design.
     */
    static ProcessBuilder childJvm(String mainClass, String... args) {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new java.util.ArrayList<>(List.of("env", "--default-signal=INT", java, "--add-modules=jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    private static void copy(java.io.InputStream in, ByteArrayOutputStream to) {
        try {
            byte[] buf = new byte[4096];
            for (int n; (n = in.read(buf)) > 0; ) {
                synchronized (to) {
                    to.write(buf, 0, n);
                }
            }
        } catch (java.io.IOException e) {
            // the child is gone: what it wrote is in 'to'
        }
    }

    private static int countOf(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static void waitFor(ByteArrayOutputStream err, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!contents(err).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for '" + text + "' in: " + contents(err));
            Thread.sleep(10);
        }
    }

    private static String contents(ByteArrayOutputStream err) {
        synchronized (err) {
            return err.toString(StandardCharsets.UTF_8);
        }
    }
}
