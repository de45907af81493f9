package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.data.DatasetSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorSetFilesTest {

    @TempDir
    Path dir;

    /** stories260K's shape: dim 64, 5 blocks (checked against the real file in StoriesMethodsTest). */
    static final LlamaConfig STORIES = new LlamaConfig(64, 172, 5, 8, 4, 512, 512, 1e-5f, 10000f, RopeStyle.parse("normal"),
            null, true);

    static VectorSet sample(int width, SiteKind kind, int... layers) {
        Random r = new Random(11);
        TreeMap<Integer, float[]> v = new TreeMap<>();
        for (int l : layers) {
            v.put(l, Synthetic.unit(r, width));
        }
        Provenance p = Provenance.of("stories260K.bin", "ab".repeat(32), "mean_difference", "LAST",
                List.of(new DatasetSource(Path.of("/data/pos.txt"), "cd".repeat(32))))
                .with("scaling", "none").with("held_out_accuracy", Map.of("1", 0.75));
        return new VectorSet(kind, v, p);
    }

    @Test
    void roundTrip() throws IOException {
        VectorSet set = sample(64, SiteKind.RESID_POST, 1, 2, 4).scaled(3);
        Path base = dir.resolve("happy");
        VectorSetFiles.write(base, set);
        assertTrue(Files.isRegularFile(dir.resolve("happy.json")));
        assertTrue(Files.isRegularFile(dir.resolve("happy.safetensors")));
        for (Path p : List.of(base, dir.resolve("happy.json"), dir.resolve("happy.safetensors"))) {
            VectorSet back = VectorSetFiles.read(p, STORIES);
            assertEquals(set.kind(), back.kind());
            assertEquals(set.vectors().keySet(), back.vectors().keySet());
            for (int l : set.vectors().keySet()) {
                assertArrayEquals(set.vector(l), back.vector(l), 0f);
            }
            Provenance a = set.provenance(), b = back.provenance();
            assertEquals(a.model(), b.model());
            assertEquals(a.modelSha256(), b.modelSha256());
            assertEquals(a.method(), b.method());
            assertEquals(a.positions(), b.positions());
            assertEquals(a.datasets(), b.datasets());
            assertEquals(a.createdAt(), b.createdAt());
            assertEquals(a.jsteerVersion(), b.jsteerVersion());
            assertEquals(a.extra(), b.extra());
        }
        assertTrue(set.provenance().jsteerVersion().matches("\\d+\\.\\d+\\.\\d+.*"), set.provenance().jsteerVersion());
        String json = Files.readString(dir.resolve("happy.json"));
        assertTrue(json.contains("\"norms\""), json);
        assertTrue(Math.abs(new ObjectMapper().readTree(json).path("norms").path("2").asDouble() - 3) < 1e-5, json);
    }

    @Test
    void aSetThatDoesNotFitTheModelIsRejected() throws IOException {
        Path wide = dir.resolve("wide");
        VectorSetFiles.write(wide, sample(288, SiteKind.RESID_POST, 1));
        String m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(wide, STORIES)).getMessage();
        assertTrue(m.contains("width 288") && m.contains("has 64"), m);
        Path deep = dir.resolve("deep");
        VectorSetFiles.write(deep, sample(64, SiteKind.RESID_POST, 3, 5));
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(deep, STORIES)).getMessage();
        assertTrue(m.contains("layer 5") && m.contains("5 blocks"), m);
    }

    @Test
    void mismatchedOrDamagedFilesAreRejected() throws IOException {
        Path a = dir.resolve("a"), b = dir.resolve("b");
        VectorSetFiles.write(a, sample(64, SiteKind.RESID_POST, 1, 2));
        VectorSetFiles.write(b, sample(64, SiteKind.RESID_POST, 1, 2).scaled(2));
        // a's JSON with b's tensors: the norms give it away
        Files.copy(dir.resolve("b.safetensors"), dir.resolve("a.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(a)).getMessage();
        assertTrue(m.contains("field 'norms.1'") && m.contains("do not belong together"), m);

        ObjectMapper json = new ObjectMapper();
        ObjectNode h = (ObjectNode) json.readTree(dir.resolve("b.json").toFile());
        h.putArray("layers").add(1).add(2).add(3);
        Files.writeString(dir.resolve("b.json"), h.toString());
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(b)).getMessage();
        assertTrue(m.contains("tensor resid_post.3") && m.contains("missing"), m);

        h.put("site", "nowhere");
        Files.writeString(dir.resolve("b.json"), h.toString());
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(b)).getMessage();
        assertTrue(m.contains("field 'site'"), m);

        Files.delete(dir.resolve("b.safetensors"));
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(b)).getMessage();
        assertTrue(m.contains("b.safetensors: missing"), m);
    }

    @Test
    void setAlgebraChecksCompatibility() {
        VectorSet a = sample(64, SiteKind.RESID_POST, 1, 2);
        VectorSet b = sample(64, SiteKind.RESID_POST, 1, 2).scaled(-2);
        VectorSet o = a.plus(b.scaled(0.25)).orthogonalisedAgainst(b);
        for (int l : List.of(1, 2)) {
            assertEquals(0, VectorAlgebra.dot(o.vector(l), b.vector(l)), 1e-6);
        }
        assertEquals(-1, a.cosine(b).get(1), 1e-6);
        assertEquals(List.of("plus mean_difference", "orthogonalised against mean_difference"),
                o.provenance().extra().get("operations"));
        assertThrows(IllegalArgumentException.class, () -> a.plus(sample(64, SiteKind.RESID_PRE, 1, 2)));
        assertThrows(IllegalArgumentException.class, () -> a.plus(sample(64, SiteKind.RESID_POST, 1, 3)));
        assertThrows(IllegalArgumentException.class, () -> a.plus(sample(32, SiteKind.RESID_POST, 1, 2)));
        assertEquals(1, a.normalised().scaled(1).norms().get(2), 1e-6);
    }
}
