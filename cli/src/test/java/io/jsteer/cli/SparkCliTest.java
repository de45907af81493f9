package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `jsteer spark` where Spark is absent (the cli's own class path, as for every command but this
 * one): flags are checked, and the job stops with a message that says how to get Spark instead of
 * a linkage error. The jobs themselves are tested in the spark module.
 */
class SparkCliTest {

    @TempDir
    Path dir;

    @Test
    void withoutSparkOnTheClassPathTheErrorSaysHowToRunIt() {
        var r = jsteer("spark", "extract", "--master", "local[2]", "--model", shared("models/stories260K.bin").toString(),
                "--tokenizer", shared("models/tok512.bin").toString(), "--data", shared("data/caa/refusal_generate_dataset.json").toString(),
                "--limit", "2", "--out", dir.resolve("v").toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("jsteer: error: jsteer spark needs Apache Spark on the class path"), r.err());
        assertTrue(!Files.exists(dir.resolve("v.json")), "nothing written");
    }

    @Test
    void sparkFlagsAreCheckedAsUsage() {
        String[] base = {"--model", shared("models/stories260K.bin").toString(), "--tokenizer", shared("models/tok512.bin").toString(),
                "--texts", shared("data/caa/refusal_generate_dataset.json").toString()};
        var parts = jsteer(concat(new String[] {"spark", "eval", "--partitions", "0"}, base));
        assertEquals(2, parts.code(), parts.err());
        assertTrue(parts.err().contains("--partitions must be at least 1"), parts.err());
        var conf = jsteer(concat(new String[] {"spark", "eval", "--conf", "spark.executor.memory"}, base));
        assertEquals(2, conf.code(), conf.err());
        assertTrue(conf.err().contains("--conf must be KEY=VALUE"), conf.err());
        assertEquals(2, jsteer("spark").code(), "a subcommand is needed");
    }

    private static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b)).toArray(String[]::new);
    }
}
