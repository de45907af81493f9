package io.jsteer.steering.atomic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import io.jsteer.weights.AtomicFileWriter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, whole artefacts: a process replacing artefacts is killed (SIGKILL) at random
 * moments; each time, a reader finds the old artefact or a new one, never a torn one, and the
 * next write leaves no temporary behind.
 */
class KilledWriterTest {

    @TempDir
    Path dir;

    private static final int ITERATIONS = 8;

    @Test
    void aKilledWriterLeavesAWholeArtefactAndTheNextWriteCleansUp() throws Exception {
        ArtefactWriterChild.writeGeneration(dir, 0); // the "old" artefacts
        Random random = new Random(20);
        String java = ProcessHandle.current().info().command().orElse("java");
        List<Integer> seen = new ArrayList<>();
        int leftovers = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            Process child = new ProcessBuilder(java, "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                    ArtefactWriterChild.class.getName(), dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine(), "the child did not start");
            Thread.sleep(random.nextInt(300)); // the child writes without pause: any moment is inside some write
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));

            int g = wholeGeneration();
            assertTrue(g >= 1, "generation 1 was complete before the kill, found " + g);
            seen.add(g);
            leftovers += temporaries().size();
            // the next write (this process) removes what the killed one left, and leaves nothing of its own
            ArtefactWriterChild.writeGeneration(dir, -1 - i);
            assertEquals(List.of(), temporaries(), "temporaries after the next write (iteration " + i + ")");
            assertEquals(-1 - i, wholeGeneration());
        }
        // the kills did land while writing: they left temporaries for the next write to clean
        assertTrue(leftovers > 0, "generations seen " + seen + ", leftovers " + leftovers);
    }

    /** The generation of the artefacts on disk, checking that each is whole (every value the same). */
    private int wholeGeneration() throws Exception {
        VectorSet set = VectorSetFiles.read(dir.resolve("set"));
        assertEquals(ArtefactWriterChild.LAYERS, set.vectors().size());
        float g = set.vector(0)[0];
        for (float[] v : set.vectors().values()) {
            for (float x : v) {
                assertEquals(g, x, "a torn vector set");
            }
        }
        assertEquals("generation " + (int) g, set.provenance().method(), "metadata and tensors of one generation");
        AtomicFileWriter.recoverDirectory(dir.resolve("adapter"));
        String a = Files.readString(dir.resolve("adapter/a.txt")), b = Files.readString(dir.resolve("adapter/b.txt"));
        assertEquals(a, b, "a torn directory artefact");
        assertEquals(1 << 18, Files.size(dir.resolve("adapter/pad.bin")));
        return (int) g;
    }

    private List<Path> temporaries() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".")).toList();
        }
    }
}
