package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** extract --read-at (where activations are read); --positions stays as its deprecated old name, with a warning. */
class ExtractReadAtTest {

    @TempDir
    Path dir;

    @Test
    void readAtAndItsDeprecatedAliasGiveTheSameVectors() throws Exception {
        Path happy = dir.resolve("happy.txt"), sad = dir.resolve("sad.txt");
        Files.writeString(happy, "Lily was very happy and smiled.\nTom laughed and had fun.\n");
        Files.writeString(sad, "Lily was very sad and cried.\nTom cried and was scared.\n");
        String model = shared("models/stories260K.gguf").toString();
        var now = jsteer("extract", "--model", model, "--data", happy.toString(), "--negative", sad.toString(), "--format", "lines",
                "--layers", "2", "--read-at", "mean", "--out", dir.resolve("a").toString());
        assertEquals(0, now.code(), now.err());
        assertFalse(now.err().contains("deprecated"), now.err());
        var old = jsteer("extract", "--model", model, "--data", happy.toString(), "--negative", sad.toString(), "--format", "lines",
                "--layers", "2", "--positions", "mean", "--out", dir.resolve("b").toString());
        assertEquals(0, old.code(), old.err());
        assertTrue(old.err().contains("jsteer: warning: extract --positions is deprecated, use --read-at"), old.err());
        VectorSet a = VectorSetFiles.read(dir.resolve("a.json")), b = VectorSetFiles.read(dir.resolve("b.json"));
        assertArrayEquals(a.vector(2), b.vector(2), 0f);
        // mean differs from last: the option is really used
        var last = jsteer("extract", "--model", model, "--data", happy.toString(), "--negative", sad.toString(), "--format", "lines",
                "--layers", "2", "--out", dir.resolve("c").toString());
        assertEquals(0, last.code(), last.err());
        assertFalse(java.util.Arrays.equals(a.vector(2), VectorSetFiles.read(dir.resolve("c.json")).vector(2)));

        var both = jsteer("extract", "--model", model, "--data", happy.toString(), "--negative", sad.toString(), "--format", "lines",
                "--read-at", "mean", "--positions", "last", "--out", dir.resolve("d").toString());
        assertEquals(2, both.code(), both.err());
        var bad = jsteer("extract", "--model", model, "--data", happy.toString(), "--negative", sad.toString(), "--format", "lines",
                "--read-at", "answer", "--out", dir.resolve("e").toString());
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--read-at answer needs --format ab"), bad.err());
    }
}
