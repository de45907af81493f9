package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import io.jsteer.weights.InputFiles;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 20: what a hostile or careless user gets from the command line: one line, exit 1, fast. */
class HostileInputCliTest {

    @TempDir
    Path dir;

    private static String model() {
        return shared("models/stories260K.gguf").toString();
    }

    private static CliTest.Result fast(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> jsteer(args), String.join(" ", args));
    }

    private static void assertOneLineError(CliTest.Result r, String... parts) {
        assertOneLineError(1, r, parts);
    }

    /** code 2: a flag's value is malformed or out of range (a usage error, cli.md). */
    private static void assertOneLineError(int code, CliTest.Result r, String... parts) {
        assertEquals(code, r.code(), r.err());
        // informational lines (what steering was applied) may come first; the error is the last line, and one line
        List<String> lines = r.err().strip().lines().toList();
        String err = lines.getLast();
        assertTrue(err.startsWith("jsteer: error: "), r.err());
        assertTrue(err.length() < 300 && lines.stream().filter(l -> l.contains("error")).count() == 1, r.err());
        for (String p : parts) {
            assertTrue(err.contains(p), "missing '" + p + "' in: " + err);
        }
    }

    private Path fifo(String name) throws Exception {
        Path p = dir.resolve(name);
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertEquals(0, mk.waitFor());
        return p;
    }

    @Test
    void specialFilesAreRefusedNotReadForever() throws Exception {
        // before: /dev/zero as a prompt file ran out of memory, a FIFO blocked the open forever
        assertOneLineError(fast("run", "--model", model(), "--prompt-file", "/dev/zero"),
                "--prompt-file /dev/zero", "a character device, not a regular file");
        assertOneLineError(fast("run", "--model", model(), "--prompt-file", "/dev/urandom"),
                "--prompt-file /dev/urandom", "a character device, not a regular file");
        assertOneLineError(fast("run", "--model", "/dev/zero", "--prompt", "x"), "/dev/zero", "character device");
        Path pipe = fifo("pipe");
        assertOneLineError(fast("run", "--model", model(), "--prompt-file", pipe.toString()), pipe.toString(), "FIFO");
        assertOneLineError(fast("run", "--model", pipe.toString(), "--prompt", "x"), "--model " + pipe, "FIFO");
        assertOneLineError(fast("inspect", pipe.toString()), pipe.toString(), "FIFO");
        Path fifoSet = fifo("set.safetensors");
        assertOneLineError(fast("inspect", fifoSet.toString()), fifoSet.toString(), "FIFO");
        assertOneLineError(fast("inspect", "/dev/zero"), "/dev/zero", "character device");
        assertOneLineError(fast("run", "--model", model(), "--prompt-file", dir.toString()), dir.toString(), "is a directory");
    }

    @Test
    void aHugeSparsePromptFileIsRefusedBeforeItIsRead() throws Exception {
        Path big = dir.resolve("big.txt");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(InputFiles.TEXT_LIMIT + 1); // sparse: no disk used
        }
        assertOneLineError(fast("run", "--model", model(), "--prompt-file", big.toString()), big.toString(),
                "more than the limit of " + InputFiles.TEXT_LIMIT + " bytes");
        Path bad = dir.resolve("bad.txt");
        Files.write(bad, new byte[] {'O', 'n', 'c', 'e', '\n', 'u', (byte) 0xC3, '('});
        assertOneLineError(fast("run", "--model", model(), "--prompt-file", bad.toString()), bad.toString(),
                "not valid UTF-8", "byte offset 6", "line 2");
    }

    @Test
    void aVectorThatOverflowsTheStreamStopsGenerationWithExitOne() throws Exception {
        // before: " ⁇  ⁇ ..." on stdout and exit 0
        var vectors = new TreeMap<Integer, float[]>();
        // each vector is finite (norm 3e38), but two of them added to one component overflow it to +Inf
        float[] huge = new float[64];
        huge[0] = 3e38f;
        vectors.put(2, huge);
        vectors.put(3, huge);
        VectorSetFiles.write(dir.resolve("huge"), new VectorSet(SiteKind.RESID_POST, vectors, Provenance.of("m", "", "t", "LAST", List.of())));
        var r = fast("run", "--model", model(), "--prompt", "Once upon a time", "--max-tokens", "5", "--temperature", "0",
                "--steer", dir.resolve("huge.json") + ":1:raw@2-3"); // raw: as stored (unit directions could not overflow)
        assertOneLineError(r, "logits became non-finite", "generation stopped");
        assertTrue(!r.out().contains("⁇"), r.out());
    }

    @Test
    void runSteerAndAblateWithAHugeLayerRangeFailAtOnceWithAShortError() throws Exception {
        var vectors = new TreeMap<Integer, float[]>();
        vectors.put(1, new float[64]);
        vectors.get(1)[0] = 1f;
        VectorSetFiles.write(dir.resolve("v"), new VectorSet(SiteKind.RESID_POST, vectors, Provenance.of("m", "", "t", "LAST", List.of())));
        String set = dir.resolve("v.json").toString();
        for (String flag : List.of("--steer", "--ablate")) {
            for (String layers : List.of("0-2147483647", "0-20000000")) {
                assertOneLineError(fast("run", "--model", model(), "--prompt", "x", "--max-tokens", "2", flag, set + "@" + layers),
                        layers, "the model has 5 blocks (0..4)");
            }
        }
        Path lines = dir.resolve("lines.txt");
        Files.writeString(lines, "a\nb\n");
        assertOneLineError(fast("extract", "--model", model(), "--data", lines.toString(), "--negative", lines.toString(), "--format", "lines",
                "--layers", "0-2147483647", "--out", dir.resolve("x").toString()), "--layers '0-2147483647'", "the model has 5 blocks");
        assertOneLineError(fast("kts", "train", "--model", model(), "--blocks", "0-2147483647", "--out", dir.resolve("kts").toString()),
                "--blocks '0-2147483647'", "the model has 5 blocks");
        assertOneLineError(fast("kts", "train", "--model", model(), "--lora-layers", "1,1", "--out", dir.resolve("kts").toString()),
                "--lora-layers '1,1'", "block 1 is listed twice");
        assertOneLineError(fast("mat", "train", "--model", model(), "--layers", "3-20000000", "--out", dir.resolve("mat").toString()),
                "--layers '3-20000000'", "the model has 5 blocks");
        assertOneLineError(fast("sweep", "--model", model(), "--steer", set, "--layers", "0-2147483647", "--out", dir.resolve("sw").toString()),
                "--layers '0-2147483647'", "the model has 5 blocks");
        assertOneLineError(2, fast("run", "--model", model(), "--prompt", "x", "--steer", set + ":1e38@1"), "strength", "limit");
        // the same grammar's good forms work for run
        var ok = fast("run", "--model", model(), "--prompt", "x", "--max-tokens", "2", "--steer", set + ":2@all");
        assertEquals(0, ok.code(), ok.err());
    }
}
