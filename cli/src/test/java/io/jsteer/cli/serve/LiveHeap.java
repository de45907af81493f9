package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * The live heap of this JVM by class, from the JVM's own class histogram (GC.class_histogram, which
 * collects first), through the DiagnosticCommand bean: what jcmd shows, from inside a test.
 */
final class LiveHeap {

    private LiveHeap() {}

    /**
     * Live bytes after a full collection, filler arrays aside: the lower of two counts, since a
     * closed socket is freed only by the collection after its cleaner has run.
     */
    static long bytesAfterGc() throws Exception {
        long first = bytes(parse(histogram()));
        return Math.min(first, bytes(parse(histogram())));
    }

    /**
     * Live objects by class after a full collection (the JVM's GC.class_histogram), as its text: one
     * object kept until the next count, where the parsed table would be thousands.
     */
    static String histogram() throws Exception {
        return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
    }

    /** A histogram's text as class name to {instances, bytes}. */
    static Map<String, long[]> parse(String text) {
        Map<String, long[]> out = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)").matcher(text);
        while (m.find()) {
            out.merge(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))},
                    (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
        }
        assertTrue(out.size() > 100, "no class histogram from the DiagnosticCommand bean: " + text);
        return out;
    }

    /**
     * Filler arrays are not objects: the collector writes them over the dead space it leaves in
     * place when compacting would not pay; they come and go with the collections.
     */
    static boolean isFiller(String name) {
        return name.contains("jdk.internal.vm.Filler");
    }

    static long bytes(Map<String, long[]> histogram) {
        return histogram.entrySet().stream().filter(e -> !isFiller(e.getKey())).mapToLong(e -> e.getValue()[1]).sum();
    }

    static long count(Map<String, long[]> histogram) {
        return histogram.entrySet().stream().filter(e -> !isFiller(e.getKey())).mapToLong(e -> e.getValue()[0]).sum();
    }

    static long instances(Map<String, long[]> histogram, String name) {
        return histogram.getOrDefault(name, new long[2])[0];
    }
}
