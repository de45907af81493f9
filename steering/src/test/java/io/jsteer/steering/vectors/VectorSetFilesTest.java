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
        // sets as earlier versions wrote them (metadata only in the .json): a pair can be mismatched
        Path a = dir.resolve("a"), b = dir.resolve("b");
        VectorSetFiles.write(a, sample(64, SiteKind.RESID_POST, 1, 2));
        VectorSetFiles.write(b, sample(64, SiteKind.RESID_POST, 1, 2).scaled(2));
        io.jsteer.steering.LegacyFiles.stripEmbeddedMetadata(dir.resolve("a.safetensors"));
        io.jsteer.steering.LegacyFiles.stripEmbeddedMetadata(dir.resolve("b.safetensors"));
        assertEquals(2, VectorSetFiles.read(b).vectors().size(), "the legacy pair still reads");
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
    void theSafetensorsAloneIsTheSetAndAStaleJsonBesideItIsIgnored() throws IOException {
        Path a = dir.resolve("a");
        VectorSet first = sample(64, SiteKind.RESID_POST, 1, 2), second = first.scaled(3);
        VectorSetFiles.write(a, first);
        String firstJson = Files.readString(dir.resolve("a.json"));
        VectorSetFiles.write(a, second);
        // what a kill between the two renames used to leave: the new .safetensors with the old .json
        Files.writeString(dir.resolve("a.json"), firstJson);
        VectorSet read = VectorSetFiles.read(a);
        assertArrayEquals(second.vector(2), read.vector(2));
        // the .json may even be gone
        Files.delete(dir.resolve("a.json"));
        assertArrayEquals(second.vector(1), VectorSetFiles.read(dir.resolve("a.safetensors")).vector(1));
        assertTrue(VectorSetFiles.isVectorSet(dir.resolve("a.safetensors")));
    }

    @Test
    void residualNormsRoundTripAndAreChecked() throws IOException {
        TreeMap<Integer, Double> resid = new TreeMap<>(Map.of(1, 5.25, 2, 7.5, 4, 11.0));
        VectorSet set = sample(64, SiteKind.RESID_POST, 1, 2, 4).scaled(0.4).withResidNorms(resid);
        VectorSetFiles.write(dir.resolve("r"), set);
        VectorSet back = VectorSetFiles.read(dir.resolve("r.json"), STORIES);
        assertEquals(resid, back.residNorms().orElseThrow());
        // the strength convention: strength 1 adds the unit direction, :raw the stored vector
        assertEquals(1, VectorAlgebra.norm(back.steeringVector(2, false)), 1e-6);
        assertArrayEquals(set.vector(2), back.steeringVector(2, true), 0f);
        assertEquals("length 3.00 (40% of the typical |resid_post:2| 7.50)", back.strengthNote(3, false, 2));
        assertEquals("length 1.20 (16% of the typical |resid_post:2| 7.50)", back.strengthNote(3, true, 2));
        assertTrue(back.legacyStrengthNote("r").isEmpty());
        // a subset of layers keeps its layers' norms
        assertEquals(Map.of(2, 7.5), back.layers(List.of(2)).residNorms().orElseThrow());
        // the .json as written has them under extra
        assertEquals(7.5, new ObjectMapper().readTree(dir.resolve("r.json").toFile()).at("/extra/resid_norms/2").asDouble());

        // a set without them (older jsteer, imported) still loads; non-unit vectors get a note saying which scale is assumed
        VectorSet old = sample(64, SiteKind.RESID_POST, 1, 2).scaled(0.4);
        VectorSetFiles.write(dir.resolve("old"), old);
        VectorSet oldBack = VectorSetFiles.read(dir.resolve("old"), STORIES);
        assertTrue(oldBack.residNorms().isEmpty());
        String note = oldBack.legacyStrengthNote("old.json").orElseThrow();
        assertTrue(note.startsWith("old.json records no residual norm") && note.contains("adds length S") && note.contains(":raw"), note);
        assertTrue(sample(64, SiteKind.RESID_POST, 1).legacyStrengthNote("unit").isEmpty(), "unit vectors read the same either way");

        // damaged norms are refused naming the field
        io.jsteer.steering.LegacyFiles.stripEmbeddedMetadata(dir.resolve("r.safetensors"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode h = (ObjectNode) json.readTree(dir.resolve("r.json").toFile());
        ((ObjectNode) h.at("/extra/resid_norms")).put("2", -1.0);
        Files.writeString(dir.resolve("r.json"), h.toString());
        String m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(dir.resolve("r"))).getMessage();
        assertTrue(m.contains("r.json: field 'extra.resid_norms.2' is -1.0, not a positive number"), m);
        ((ObjectNode) h.at("/extra/resid_norms")).remove("2");
        Files.writeString(dir.resolve("r.json"), h.toString());
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(dir.resolve("r"))).getMessage();
        assertTrue(m.contains("field 'extra.resid_norms.2' missing"), m);
        // a zero vector has no direction to add
        TreeMap<Integer, float[]> zero = new TreeMap<>(Map.of(3, new float[64]));
        VectorSet z = new VectorSet(SiteKind.RESID_POST, zero, old.provenance());
        m = assertThrows(IllegalArgumentException.class, () -> z.steeringVector(3, false)).getMessage();
        assertTrue(m.contains("layer 3 is zero"), m);
        assertArrayEquals(new float[64], z.steeringVector(3, true), 0f);
    }

    @Test
    void layersMustBeUniqueIntegersMatchingTheTensors() throws IOException {
        Path b = dir.resolve("b");
        VectorSetFiles.write(b, sample(64, SiteKind.RESID_POST, 0, 1, 2, 3));
        io.jsteer.steering.LegacyFiles.stripEmbeddedMetadata(dir.resolve("b.safetensors"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode h = (ObjectNode) json.readTree(dir.resolve("b.json").toFile());
        // before: [0,1,2,3,1] and 1.5 passed inspect and silently dropped or truncated a layer
        h.putArray("layers").add(0).add(1).add(2).add(3).add(1);
        Files.writeString(dir.resolve("b.json"), h.toString());
        String m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(b)).getMessage();
        assertTrue(m.contains("b.json: field 'layers' lists layer 1 twice"), m);
        h.putArray("layers").add(0).add(1.5).add(2).add(3);
        Files.writeString(dir.resolve("b.json"), h.toString());
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(b)).getMessage();
        assertTrue(m.contains("field 'layers' must be non-negative integers, found 1.5"), m);
        h.putArray("layers").add(0).add(1).add(2);
        Files.writeString(dir.resolve("b.json"), h.toString());
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(b)).getMessage();
        assertTrue(m.contains("has 4 tensors but") && m.contains("lists 3 layers"), m);
        // invalid UTF-8 in the .json: the file and the byte offset are named
        byte[] bytes = h.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        bytes[10] = (byte) 0xFF;
        Files.write(dir.resolve("b.json"), bytes);
        m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(b)).getMessage();
        assertTrue(m.contains("b.json") && m.contains("not valid UTF-8") && m.contains("byte offset 10"), m);
    }

    @Test
    void nonFiniteComponentsAreRefusedAtLoad() throws IOException {
        Path c = dir.resolve("c");
        VectorSetFiles.write(c, sample(64, SiteKind.RESID_POST, 1));
        float[] v = new float[64];
        v[7] = Float.NaN;
        io.jsteer.weights.safetensors.SafetensorsWriter.write(dir.resolve("c.safetensors"), Map.of("format", VectorSetFiles.FORMAT),
                List.of(new io.jsteer.weights.safetensors.SafetensorsTensor("resid_post.1", new long[] {64}, v)));
        String m = assertThrows(IllegalArgumentException.class, () -> VectorSetFiles.read(c)).getMessage();
        assertTrue(m.contains("c.safetensors") && m.contains("layer 1 value 7 is NaN"), m);
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
