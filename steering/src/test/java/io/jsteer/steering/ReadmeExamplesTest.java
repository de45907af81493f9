package io.jsteer.steering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Java code in README.md and steering/README.md is the code the example tests compile and run, so copy-paste works. */
class ReadmeExamplesTest {

    private static final Path TESTS = Path.of("src/test/java/io/jsteer/steering");

    /** The ```java blocks of a Markdown file, each without its fences. */
    static List<String> javaBlocks(Path markdown) throws Exception {
        List<String> blocks = new ArrayList<>();
        StringBuilder current = null;
        for (String line : Files.readAllLines(markdown)) {
            if (current == null && line.equals("```java")) {
                current = new StringBuilder();
            } else if (current != null && line.equals("```")) {
                blocks.add(current.toString());
                current = null;
            } else if (current != null) {
                current.append(line).append('\n');
            }
        }
        return blocks;
    }

    @Test
    void theRootReadmesJavaApiSectionIsTheTestedExampleVerbatim() throws Exception {
        String example = Files.readString(TESTS.resolve("ReadmeApiExampleTest.java"));
        List<String> blocks = javaBlocks(Path.of("../README.md"));
        assertTrue(blocks.contains(example), "README.md has no ```java block equal to ReadmeApiExampleTest.java; its blocks:\n" + blocks);
    }

    @Test
    void theSteeringReadmesSnippetIsTheTestedRegionVerbatim() throws Exception {
        List<String> lines = Files.readAllLines(TESTS.resolve("SteeringReadmeExampleTest.java"));
        int begin = lines.indexOf("        // README begin");
        int end = lines.indexOf("            // README end (the README closes the try block here)");
        assertTrue(begin > 0 && end > begin, "markers missing");
        StringBuilder region = new StringBuilder();
        for (String line : lines.subList(begin + 1, end)) {
            region.append(line.length() >= 8 ? line.substring(8) : line.strip()).append('\n'); // the method body's indent
        }
        region.append("}\n");
        List<String> blocks = javaBlocks(Path.of("README.md"));
        assertEquals(region.toString(), blocks.getFirst(), "steering/README.md's first ```java block differs from the tested region");
    }
}
