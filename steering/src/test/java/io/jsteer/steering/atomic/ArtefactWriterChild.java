package io.jsteer.steering.atomic;

import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import io.jsteer.weights.AtomicFileWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;

/**
 * The process {@link KilledWriterTest} kills: it replaces a vector set and a directory artefact
 * over and over, generation 1, 2, 3, ..., until it is killed. Every vector of generation g is
 * filled with g, and both files of the directory artefact hold g, so a reader can tell a whole
 * artefact from a torn one.
 */
public final class ArtefactWriterChild {

    static final int LAYERS = 6, WIDTH = 1 << 15;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        writeGeneration(dir, 1);
        // from here on the process is always inside some write, so any kill lands mid-write
        System.out.println("ready");
        System.out.flush();
        for (int g = 2; ; g++) {
            writeGeneration(dir, g);
        }
    }

    static void writeGeneration(Path dir, int g) throws Exception {
        VectorSetFiles.write(dir.resolve("set"), set(g));
        byte[] text = Integer.toString(g).getBytes(StandardCharsets.UTF_8);
        byte[] padding = new byte[1 << 18];
        AtomicFileWriter.writeDirectory(dir.resolve("adapter"), tree -> {
            AtomicFileWriter.write(tree.resolve("a.txt"), out -> out.bytes(text));
            AtomicFileWriter.write(tree.resolve("pad.bin"), out -> out.bytes(padding));
            AtomicFileWriter.write(tree.resolve("b.txt"), out -> out.bytes(text));
        });
    }

    static VectorSet set(int g) {
        TreeMap<Integer, float[]> v = new TreeMap<>();
        for (int l = 0; l < LAYERS; l++) {
            float[] x = new float[WIDTH];
            Arrays.fill(x, g);
            v.put(l, x);
        }
        return new VectorSet(SiteKind.RESID_POST, v, Provenance.of("m", "", "generation " + g, "LAST", List.of()));
    }
}
