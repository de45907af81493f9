package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jsteer lens on stories260K: table, JSON, heat map files; steering shows from its block on. */
class LensCommandTest {

    @TempDir
    Path dir;

    private String model() {
        return shared("models/stories260K.gguf").toString();
    }

    /** The lens steers through setInterventions and reads by observers, so it takes --engine tornado (this build lacks it). */
    @Test
    void lensTakesTheTornadoEngine() {
        var r = jsteer("lens", "--model", model(), "--prompt", "Tom felt very", "--engine", "tornado", "--threads", "1");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("jsteer: error: --engine tornado: this build has no TornadoVM engine")
                && !r.err().contains("CPU only"), r.err());
    }

    @Test
    void lensTableJsonAndHeatMap() throws Exception {
        Path happy = dir.resolve("happy.txt"), sad = dir.resolve("sad.txt");
        Files.writeString(happy, "Lily was very happy and smiled.\nTom laughed and had fun.\nThe girl was glad and proud.\n");
        Files.writeString(sad, "Lily was very sad and cried.\nTom cried and was scared.\nThe girl was upset and alone.\n");
        assertEquals(0, jsteer("extract", "--model", model(), "--data", happy.toString(), "--negative", sad.toString(), "--format",
                "lines", "--layers", "1-3", "--out", dir.resolve("happy").toString(), "--threads", "1").code());

        var table = jsteer("lens", "--model", model(), "--prompt", "Tom felt very", "--steer", dir.resolve("happy.json") + ":8@2");
        assertEquals(0, table.code(), table.err());
        String[] lines = table.out().split("\n");
        assertTrue(lines[1].startsWith("block") && lines[1].contains("unsteered") && lines[1].contains("steered"), lines[1]);
        // 5 blocks; KL is the last column: 0 before block 2, positive from it
        for (int l = 0; l < 5; l++) {
            String row = lines[2 + l];
            assertTrue(row.startsWith(Integer.toString(l)), row);
            double kl = Double.parseDouble(row.substring(row.lastIndexOf('|') + 1).trim());
            assertTrue(l < 2 ? kl == 0 : kl > 1e-3, "block " + l + ": " + row);
        }

        Path html = dir.resolve("lens.html");
        var json = jsteer("lens", "--model", model(), "--prompt", "Tom felt very", "--steer", dir.resolve("happy.json") + ":8@2",
                "--json", "--html", html.toString(), "--window", "4");
        assertEquals(0, json.code(), json.err());
        JsonNode j = new ObjectMapper().readTree(json.out());
        assertEquals(5, j.at("/unsteered/layers").size());
        assertEquals(4, j.at("/unsteered/layers/0").size(), "window of 4 positions");
        assertEquals(3, j.at("/unsteered/layers/0/0/top").size());
        assertEquals(5, j.at("/klPerBlock").size());
        assertEquals(0, j.at("/klPerBlock/1").asDouble(), 1e-9);
        // the JSON's top token at the last block = what greedy run generates next
        int lensNext = j.at("/unsteered/layers/4/3/top/0/id").asInt();
        var run = jsteer("run", "--model", model(), "--prompt", "Tom felt very", "--temperature", "0", "--max-tokens", "1");
        String piece = LensCommand.piece(io.jsteer.model.ModelLoader.load(Path.of(model()), null).tokenizer(), lensNext);
        assertTrue(run.out().startsWith("Tom felt very" + piece), run.out() + " vs " + piece);

        String svg = Files.readString(dir.resolve("lens.svg"));
        assertTrue(svg.contains(">unsteered</text>") && svg.contains(">steered</text>"), "two panels");
        assertTrue(svg.contains(">block 4</text>"), "a row per block");
        var png = javax.imageio.ImageIO.read(dir.resolve("lens.png").toFile());
        assertTrue(png.getWidth() > 2 * 2 * 4 * 60, "two panels of 4 columns at 2x: " + png.getWidth());
        assertTrue(Files.readString(html).contains("<svg"));

        var bad = jsteer("lens", "--model", model(), "--prompt", "x", "--top", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--top"), bad.err());
        var noPrompt = jsteer("lens", "--model", model());
        assertEquals(2, noPrompt.code(), noPrompt.err());
    }
}
