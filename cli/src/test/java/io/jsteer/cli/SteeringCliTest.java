package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** extract → vector files → run --steer / cvec / sweep, end to end on stories260K. */
class SteeringCliTest {

    @TempDir
    Path dir;

    private String model() {
        return shared("models/stories260K.gguf").toString();
    }

    private Path extractHappy() throws Exception {
        Path happy = dir.resolve("happy.txt"), sad = dir.resolve("sad.txt");
        Files.writeString(happy, "Lily was very happy and smiled.\nTom laughed and had fun.\nThe girl was glad and proud.\n");
        Files.writeString(sad, "Lily was very sad and cried.\nTom cried and was scared.\nThe girl was upset and alone.\n");
        var r = jsteer("extract", "--model", model(), "--data", happy.toString(), "--negative", sad.toString(), "--format", "lines",
                "--layers", "1-3", "--out", dir.resolve("happy").toString(), "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote"), r.out());
        return dir.resolve("happy.json");
    }

    @Test
    void extractWritesAMeanDifferenceSetThatRunSteersWith() throws Exception {
        Path set = extractHappy();
        VectorSet vs = VectorSetFiles.read(set);
        assertEquals(List.of(1, 2, 3), List.copyOf(vs.vectors().keySet()));
        assertEquals(SiteKind.RESID_POST, vs.kind());
        assertEquals("mean_difference", vs.provenance().method());
        // the printed norms are the vectors' norms
        var out = jsteer("extract", "--model", model(), "--data", dir.resolve("happy.txt").toString(), "--negative",
                dir.resolve("sad.txt").toString(), "--format", "lines", "--layers", "2", "--out", dir.resolve("h2").toString());
        assertTrue(out.out().contains(String.format("%5d  %.4f", 2, vs.norms().get(2))), out.out());

        var plain = jsteer("run", "--model", model(), "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "30");
        var steered = jsteer("run", "--model", model(), "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "30",
                "--steer", set + ":6@2");
        assertEquals(0, steered.code(), steered.err());
        assertTrue(steered.err().contains("steering: + vector of length 6.00 at resid_post:2 (all tokens)"), steered.err());
        assertNotEquals(plain.out(), steered.out());
        assertTrue(steered.out().startsWith("Once upon a time"), steered.out());
        // strength 0 is the plain run, token for token
        var zero = jsteer("run", "--model", model(), "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "30",
                "--steer", set + ":0");
        assertEquals(plain.out(), zero.out());
        // generated-only steering leaves the prompt's processing alone but still changes the text
        var gen = jsteer("run", "--model", model(), "--prompt", "Once upon a time", "--temperature", "0", "--max-tokens", "30",
                "--steer", set + ":6@2", "--positions", "generated");
        assertTrue(gen.err().contains("(generated tokens)"), gen.err());
        assertTrue(gen.err().contains("edited 0 prompt token(s) in prefill and 29 generated token(s)"), gen.err());
        int promptTokens;
        try (LoadedModel m = ModelLoader.load(Path.of(model()), null)) {
            promptTokens = m.tokenizer().encode("Once upon a time", true).length;
        }
        assertTrue(steered.err().contains("edited " + promptTokens + " prompt token(s) in prefill and 29 generated"), steered.err());
        var info = jsteer("inspect", set.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("resid_post") && info.out().contains("mean_difference") && info.out().contains("[1, 2, 3]"), info.out());
    }

    @Test
    void vectorsThatDoNotFitTheModelAreRefusedWithTheReason() throws Exception {
        Path set = extractHappy();
        var r = jsteer("run", "--model", model(), "--steer", set + ":2@4", "--max-tokens", "2");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no vector for layer(s) [4]") && r.err().contains("[1, 2, 3]"), r.err());

        TreeMap<Integer, float[]> wide = new TreeMap<>();
        wide.put(1, new float[288]);
        wide.get(1)[0] = 1;
        VectorSetFiles.write(dir.resolve("wide"), new VectorSet(SiteKind.RESID_POST, wide,
                Provenance.of("stories15M", "", "test", "LAST", List.of())));
        r = jsteer("run", "--model", model(), "--steer", dir.resolve("wide.json") + ":1", "--max-tokens", "2");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("288") && r.err().contains("64"), r.err());

        r = jsteer("run", "--model", model(), "--steer", set + ":lots", "--max-tokens", "2");
        assertEquals(2, r.code()); // a malformed flag value: a usage error
        assertTrue(r.err().startsWith("jsteer: error: --steer: ") && r.err().contains("strength 'lots' is not a number"), r.err());
        r = jsteer("run", "--model", model(), "--steer", set + ":1", "--positions", "some", "--max-tokens", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("jsteer: error: --positions: unknown positions 'some'"), r.err());
    }

    @Test
    void controlVectorExportAndImportRoundTrip() throws Exception {
        Path set = extractHappy();
        Path gguf = dir.resolve("happy.gguf");
        var r = jsteer("cvec", "export", set.toString(), "--out", gguf.toString(), "--model", model());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("blocks [1, 2, 3]"), r.out());
        r = jsteer("cvec", "import", gguf.toString(), "--out", dir.resolve("back").toString());
        assertEquals(0, r.code(), r.err());
        VectorSet a = VectorSetFiles.read(set), b = VectorSetFiles.read(dir.resolve("back.json"));
        assertEquals(a.vectors().keySet(), b.vectors().keySet());
        // the export holds each layer's unit direction (llama.cpp multiplies as stored, so its F:S adds length S as --steer does)
        for (int l : a.vectors().keySet()) {
            assertArrayEquals(a.steeringVector(l, false), b.vector(l), 0f, "layer " + l);
        }
        // and the imported set steers exactly like the original
        var x = jsteer("run", "--model", model(), "--temperature", "0", "--max-tokens", "20", "--steer", set + ":4@2");
        var y = jsteer("run", "--model", model(), "--temperature", "0", "--max-tokens", "20", "--steer", dir.resolve("back.json") + ":4@2");
        assertEquals(x.out(), y.out());
    }

    @Test
    void sweepWritesJsonAndAnOfflineHtmlReport() throws Exception {
        Path set = extractHappy();
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, "Once upon a time,\nTom went to the park.\n");
        Path out = dir.resolve("sweep");
        var r = jsteer("sweep", "--model", model(), "--steer", set.toString(), "--layers", "1,3", "--strengths", "0,2",
                "--samples", "4", "--max-tokens", "16", "--prompts", prompts.toString(), "--out", out.toString(), "--threads", "1");
        assertEquals(0, r.code(), r.err());
        var json = new ObjectMapper().readTree(out.resolve("sweep.json").toFile());
        assertEquals(2, json.get("cells").size());
        assertEquals(0.0, json.at("/baseline/klMean").asDouble(), 1e-6);
        assertTrue(json.at("/cells/0/klMean").asDouble() > 0, json.toString());
        String html = Files.readString(out.resolve("sweep.html"));
        assertTrue(html.contains("<svg") && !html.contains("src=\"http"), "inline charts, nothing fetched");
        assertTrue(r.out().contains("layer") && r.out().contains("wrote"), r.out());
    }

    @Test
    void evalPutsTheUnsteeredAndSteeredMetricsSideBySide() throws Exception {
        Path set = extractHappy();
        Path prompts = dir.resolve("p.txt");
        Files.writeString(prompts, "Once upon a time,\nTom went to the park.\n");
        String ab = shared("data/caa/refusal_test_dataset_ab.json").toString();
        var zero = jsteer("eval", "--model", model(), "--steer", set + ":0@2", "--ab", ab, "--prompts", prompts.toString(),
                "--texts", prompts.toString(), "--samples", "4", "--max-tokens", "12", "--json");
        assertEquals(0, zero.code(), zero.err());
        var j = new ObjectMapper().readTree(zero.out());
        // strength 0 is the unsteered model: every metric equal (KL up to float noise)
        for (String m : List.of("ab_matching_probability", "perplexity", "afinn_per_text", "distinct2")) {
            assertEquals(j.at("/unsteered/" + m).asDouble(), j.at("/steered/" + m).asDouble(), 1e-5, m);
        }
        assertEquals(0.0, j.at("/steered/kl_vs_unsteered").asDouble(), 1e-6);
        double p = j.at("/unsteered/ab_matching_probability").asDouble();
        assertTrue(p > 0 && p < 1, "a probability: " + p);

        var strong = jsteer("eval", "--model", model(), "--steer", set + ":8@2", "--prompts", prompts.toString(),
                "--samples", "2", "--max-tokens", "8", "--json");
        var k = new ObjectMapper().readTree(strong.out());
        assertTrue(k.at("/steered/kl_vs_unsteered").asDouble() > 0.01, strong.out());
        assertEquals(1, jsteer("eval", "--model", model()).code(), "nothing to measure is an error");
    }

    @Test
    void chatChangesSteeringLiveWithSlashCommands() throws Exception {
        Path set = extractHappy();
        String[] plain = chat("Tell me a story.\nTell me a story.\n").out().strip().split("\n");
        var steered = chat("Tell me a story.\n/steer " + set + ":8@2\nTell me a story.\n");
        String[] live = steered.out().strip().split("\n");
        assertEquals(2, live.length, steered.out());
        assertEquals(plain[0], live[0], "before /steer the reply is the plain one");
        assertNotEquals(plain[1], live[1], "after /steer the reply is steered");
        assertTrue(steered.err().contains("steering: + vector of length 8.00 at resid_post:2"), steered.err());
        // /unsteer takes it away again; a bad /steer is refused and changes nothing
        var undone = chat("/steer " + set + ":8@2\n/steer nope.json\n/unsteer\nTell me a story.\n");
        assertEquals(plain[0], undone.out().strip().split("\n")[0]);
        assertTrue(undone.err().contains("jsteer: error:") && undone.err().contains("nope.json"), undone.err());
    }

    private CliTest.Result chat(String input) {
        java.io.InputStream oldIn = System.in;
        try {
            System.setIn(new java.io.ByteArrayInputStream(input.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            var r = jsteer("chat", "--model", model(), "--template", "llama2", "--temperature", "0", "--max-tokens", "16");
            assertEquals(0, r.code(), r.err());
            return r;
        } finally {
            System.setIn(oldIn);
        }
    }
}
