package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.cli.CliTest.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 14, point 4: flags that mean the same everywhere, llama.cpp's short names, exit codes, help text. */
class CliFlagsTest {

    private static String gguf() {
        return shared("models/stories260K.gguf").toString();
    }

    @Test
    void llamaCppShortFlagsMeanTheSameAsTheLongOnes() {
        Result longForm = jsteer("run", "--model", gguf(), "--prompt", "Lily and Tom", "--max-tokens", "12", "--temperature", "0.8",
                "--top-p", "0.9", "--seed", "7", "--ctx-size", "64", "--threads", "1");
        Result shortForm = jsteer("run", "-m", gguf(), "-p", "Lily and Tom", "-n", "12", "--temp", "0.8", "--top-p", "0.9",
                "-s", "7", "-c", "64", "-t", "1");
        assertEquals(0, shortForm.code(), shortForm.err());
        assertEquals(longForm.out(), shortForm.out());
        assertTrue(shortForm.err().contains("1 threads; seed 7)"), shortForm.err());
        assertTrue(shortForm.out().startsWith("Lily and Tom"), shortForm.out());
        // -s really is the seed: another one gives another story
        Result otherSeed = jsteer("run", "-m", gguf(), "-p", "Lily and Tom", "-n", "12", "--temp", "0.8", "-s", "8", "-t", "1");
        assertNotEquals(shortForm.out(), otherSeed.out());
        // -n really is the token budget: 3 tokens give a shorter text
        Result three = jsteer("run", "-m", gguf(), "-p", "Lily and Tom", "-n", "3", "--temp", "0", "-t", "1");
        assertTrue(three.err().contains("(3 generated;"), three.err());
        // -c is the context: a prompt that does not fit 4 positions is refused
        Result tiny = jsteer("run", "-m", gguf(), "-p", "Lily and Tom went to the park", "-n", "3", "-c", "4");
        assertEquals(1, tiny.code(), tiny.err());
    }

    @Test
    void chatTakesTheShortFlagsToo() {
        java.io.InputStream oldIn = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream("Tell me a story.\n".getBytes(StandardCharsets.UTF_8)));
            Result r = jsteer("chat", "-m", gguf(), "-n", "5", "--temp", "0", "-c", "128", "-t", "1", "-s", "1");
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains(", 5 generated"), r.err());
        } finally {
            System.setIn(oldIn);
        }
    }

    @Test
    void badFlagValuesExitTwoAndBadFilesOne(@TempDir Path dir) throws Exception {
        record Case(int code, String flag, List<String> args) {}
        for (Case c : List.of(
                new Case(2, "--threads", List.of("run", "-m", gguf(), "-t", "0")),
                new Case(2, "--max-tokens", List.of("run", "-m", gguf(), "-n", "-3")),
                new Case(2, "--top-p", List.of("run", "-m", gguf(), "--top-p", "1.5")),
                new Case(2, "--ctx-size", List.of("chat", "-m", gguf(), "-c", "0")),
                new Case(2, "--port", List.of("serve", "-m", gguf(), "--port", "70000")),
                new Case(2, "--queue", List.of("serve", "-m", gguf(), "--queue", "-1")),
                new Case(2, "--timeout", List.of("serve", "-m", gguf(), "--timeout", "-5")),
                new Case(2, "--api-key", List.of("serve", "-m", gguf(), "--api-key", "two words")),
                new Case(2, "--alias", List.of("serve", "-m", gguf(), "--alias", " ")),
                new Case(2, "--method", List.of("extract", "-m", gguf(), "--data", gguf(), "--method", "magic", "--out", dir.resolve("x").toString())),
                new Case(2, "--mat-multiplier", List.of("run", "-m", gguf(), "--mat-multiplier", "2")),
                new Case(1, "nope.gguf", List.of("run", "-m", dir.resolve("nope.gguf").toString())))) {
            Result r = jsteer(c.args().toArray(String[]::new));
            assertEquals(c.code(), r.code(), c + ": " + r.err());
            String[] lines = r.err().strip().split("\n");
            assertEquals(1, lines.length, r.err());
            assertTrue(lines[0].startsWith("jsteer: error: ") && lines[0].contains(c.flag()), c + ": " + r.err());
        }
    }

    @Test
    void inspectTakesAModelNameLikeTheOtherCommands() {
        Result byName = jsteer("inspect", "stories260K", "--json");
        assertEquals(0, byName.code(), byName.err());
        // the name resolves in ../shared/models, .bin first as --model does
        assertTrue(byName.out().contains("stories260K.bin"), byName.out());
        assertTrue(byName.out().contains("\"context_length\" : 512"), byName.out());
        Result unknown = jsteer("inspect", "no-such-model");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().startsWith("jsteer: error: inspect: no model named 'no-such-model'"), unknown.err());
    }

    @Test
    void helpExamplesAreNeverBrokenInsideALine() {
        CommandLine root = new CommandLine(new Main());
        Main.widenForExamples(root);
        List<CommandLine> all = new java.util.ArrayList<>();
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(root.getSubcommands().values());
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            all.add(c);
            todo.addAll(c.getSubcommands().values());
        }
        int checked = 0;
        for (CommandLine c : all) {
            String help = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            for (String line : c.getCommandSpec().usageMessage().footer()) {
                if (line.strip().startsWith("jsteer ")) {
                    assertTrue(help.contains(line.stripTrailing()), c.getCommandSpec().qualifiedName() + ": example broken:\n" + help);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 30, "examples checked: " + checked);
        // and through the command line itself, where the cut used to happen (a 120-column example)
        Result kts = jsteer("run", "--help");
        assertTrue(kts.out().contains("jsteer run --lora kts-run/adapter --gate kts-run/gate.json --steer happy.json:4 --prompt \"Then Tom felt\""),
                kts.out());
    }

    @Test
    void steerTakesANameLookedUpInVectors(@TempDir Path dir) throws Exception {
        Path happy = dir.resolve("happy.txt"), sad = dir.resolve("sad.txt");
        Files.writeString(happy, "Lily was very happy and smiled.\nTom laughed and had fun.\n");
        Files.writeString(sad, "Lily was very sad and cried.\nTom cried and was scared.\n");
        Result ex = jsteer("extract", "-m", gguf(), "--data", happy.toString(), "--negative", sad.toString(), "--format", "lines",
                "--layers", "2", "--out", dir.resolve("happy").toString(), "-t", "1");
        assertEquals(0, ex.code(), ex.err());
        Result byFile = jsteer("run", "-m", gguf(), "-p", "Once upon a time", "--temp", "0", "-n", "20", "--steer",
                dir.resolve("happy.json") + ":6@2");
        Result byName = jsteer("run", "-m", gguf(), "-p", "Once upon a time", "--temp", "0", "-n", "20", "--steer", "happy:6@2",
                "--vectors", dir.toString());
        Result plain = jsteer("run", "-m", gguf(), "-p", "Once upon a time", "--temp", "0", "-n", "20");
        assertEquals(0, byName.code(), byName.err());
        assertEquals(byFile.out(), byName.out());
        assertNotEquals(plain.out(), byName.out());
        Result missing = jsteer("run", "-m", gguf(), "--steer", "sad:6@2", "--vectors", dir.toString(), "-n", "2");
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains(dir.resolve("sad.safetensors").toString()) && missing.err().contains("sad.json"), missing.err());
        assertFalse(missing.err().contains("Exception"), missing.err());
    }

    @Test
    void evalShowsProgressAsPlainLinesWhenStderrIsNotATerminal(@TempDir Path dir) throws Exception {
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, "Once upon a time\nTom and Lily\n");
        Result r = jsteer("eval", "-m", gguf(), "--prompts", prompts.toString(), "--samples", "3", "--max-tokens", "4", "-t", "1");
        assertEquals(0, r.code(), r.err());
        // surefire's stderr is no terminal: plain lines, no carriage-return frames or colours
        assertFalse(r.err().contains("\r") || r.err().contains("\u001B"), r.err());
        List<String> bar = r.err().lines().filter(l -> l.startsWith("eval ")).toList();
        assertFalse(bar.isEmpty(), r.err());
        assertTrue(bar.getLast().contains("100%") && bar.getLast().contains("3/3"), r.err());
        assertTrue(r.out().contains("distinct2"), r.out()); // the table is still on stdout, without progress in it
        assertFalse(r.out().contains("100%"), r.out());
    }
}
