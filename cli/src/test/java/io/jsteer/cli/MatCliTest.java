package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.steering.mat.MatCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jsteer mat}: a small train + eval + gates + apply on stories260K and the shared data. */
class MatCliTest {

    private static String[] common(String... rest) {
        String[] head = {"--model", shared("models/stories260K.bin").toString(), "--tokenizer", shared("models/tok512.bin").toString(),
                "--threads", "1"};
        String[] all = new String[head.length + rest.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        return all;
    }

    private static String[] train(Path out) {
        String[] args = common("--data-dir", shared("data").toString(), "--tasks", "truthfulqa,toxigen", "--train-items", "6",
                "--epochs", "3", "--batch-size", "8", "--site", "attn_heads:2", "--out", out.toString(), "--json");
        String[] all = new String[args.length + 2];
        all[0] = "mat";
        all[1] = "train";
        System.arraycopy(args, 0, all, 2, args.length);
        return all;
    }

    private static String[] cmd(String sub, String... rest) {
        String[] args = common(rest);
        String[] all = new String[args.length + 2];
        all[0] = "mat";
        all[1] = sub;
        System.arraycopy(args, 0, all, 2, args.length);
        return all;
    }

    @Test
    void ablateWritesTheTable3AndTable4RowsAndItsFullRowIsTheGatedModule() throws Exception {
        CliTest.Result r = jsteer(cmd("ablate", "--data-dir", shared("data").toString(), "--tasks", "truthfulqa", "--train-items", "4",
                "--eval-items", "2", "--epochs", "2", "--batch-size", "8", "--site", "attn_heads:2", "--json"));
        assertEquals(0, r.code(), r.err());
        JsonNode rows = new ObjectMapper().readTree(r.out()).get("rows");
        assertEquals(14, rows.size());
        assertEquals("unsteered", rows.get(0).get("variant").asText());
        assertEquals("alignment only", rows.get(1).get("variant").asText());
        assertEquals("full - normalisation", rows.get(8).get("variant").asText());
        assertEquals("full", rows.get(9).get("variant").asText());
        assertEquals("gated (MAT-Steer)", rows.get(13).get("variant").asText());
        assertEquals(rows.get(9).at("/scores/0/mc2").asDouble(), rows.get(13).at("/scores/0/mc2").asDouble(), 0);
        for (JsonNode row : rows) {
            assertEquals(2, row.at("/scores/0/items").asInt(), row.toString());
        }
        CliTest.Result bad = jsteer(cmd("ablate", "--data-dir", shared("data").toString(), "--tasks", "truthfulqa", "--split", "train"));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("--split must be test or dev"), bad.err());
    }

    @Test
    void trainEvalGatesAndApplyEndToEnd(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        CliTest.Result t = jsteer(train(dir.resolve("mat")));
        assertEquals(0, t.code(), t.err());
        JsonNode tr = json.readTree(t.out());
        assertFalse(tr.get("featureCacheHit").asBoolean());
        assertEquals("attn_heads:2", tr.at("/metadata/site").asText());
        assertEquals(3, tr.get("epochLosses").size());
        assertEquals(64, tr.at("/metadata/dim").asInt());
        assertTrue(t.err().contains("median pairwise feature distance"), t.err());
        assertTrue(Files.exists(dir.resolve("mat.safetensors")) && Files.exists(dir.resolve("mat.json"))
                && Files.exists(dir.resolve("mat.features.safetensors")));
        MatCheckpoint first = MatCheckpoint.load(dir.resolve("mat"));
        assertEquals(java.util.List.of("truthfulqa", "toxigen"), first.parameters().attributes());
        // k = min(⌊8/4⌋, smallest pool): the metadata records what the trainer used
        assertEquals(2, first.metadata().k());

        // a rerun reads the feature cache and, being seeded, writes the same module
        CliTest.Result again = jsteer(train(dir.resolve("mat")));
        assertEquals(0, again.code(), again.err());
        assertTrue(json.readTree(again.out()).get("featureCacheHit").asBoolean());
        MatCheckpoint second = MatCheckpoint.load(dir.resolve("mat"));
        assertArrayEquals(first.parameters().theta()[1], second.parameters().theta()[1]);
        assertArrayEquals(first.parameters().gateBias(), second.parameters().gateBias());

        CliTest.Result e = jsteer(cmd("eval", "--data-dir", shared("data").toString(), "--mat", dir.resolve("mat.safetensors").toString(),
                "--eval-items", "3", "--baseline-items", "6", "--iti-heads", "4", "--json"));
        assertEquals(0, e.code(), e.err());
        JsonNode tasks = json.readTree(e.out()).get("tasks");
        assertEquals(2, tasks.size());
        for (JsonNode task : tasks) {
            assertEquals(3, task.get("items").asInt());
            for (String f : new String[] {"baseMc2", "matMc2", "baseAccuracy", "matAccuracy"}) {
                double v = task.get(f).asDouble();
                assertTrue(v >= 0 && v <= 1, f + " = " + v);
            }
            assertEquals(2, task.at("/gatesOnTrue/meanGate").size());
            // the CAA baselines run in the same harness: the task's own vector and the ungated sum
            assertEquals(3, task.at("/baselines/caa/items").asInt());
            assertEquals(3, task.at("/baselines/sum/items").asInt());
            // ITI and ICV, fitted on the task's train split, in the same table
            assertEquals(3, task.at("/baselines/iti/items").asInt());
            assertEquals(3, task.at("/baselines/icv/items").asInt());
            for (String m : new String[] {"caa", "sum", "iti", "icv", "mat"}) {
                assertTrue(task.at("/klOnTrueAnswers/" + m).asDouble() > 0, m + " KL on true answers");
            }
        }
        CliTest.Result text = jsteer(cmd("eval", "--data-dir", shared("data").toString(), "--mat", dir.resolve("mat").toString(),
                "--eval-items", "2", "--tasks", "toxigen", "--no-baselines"));
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("toxigen           2"), text.out());

        CliTest.Result g = jsteer(cmd("gates", "--mat", dir.resolve("mat").toString(), "--prompt", "Q: Is it cold? A: Yes.", "--json",
                "--html", dir.resolve("gates.html").toString()));
        assertEquals(0, g.code(), g.err());
        JsonNode tokens = json.readTree(g.out()).at("/texts/0/tokens");
        assertTrue(tokens.size() > 5);
        assertEquals(2, tokens.get(0).get("gates").size());
        // the page inlines the picture; the same picture is beside it as SVG and PNG, every gate printed in it
        String page = Files.readString(dir.resolve("gates.html"));
        String svg = Files.readString(dir.resolve("gates.svg"));
        assertTrue(page.contains("toxigen</text>") && svg.contains("toxigen</text>"), "attribute row label");
        for (JsonNode token : tokens) {
            String shown = String.format(java.util.Locale.ROOT, ">%.2f</text>", token.get("gates").get(0).asDouble());
            assertTrue(svg.contains(shown), "gate value " + shown + " printed");
        }
        var png = javax.imageio.ImageIO.read(dir.resolve("gates.png").toFile());
        assertEquals(2 * 900, png.getWidth(), "PNG at 2x the SVG width");
        int open = 0;
        for (JsonNode token : tokens) {
            boolean any = false;
            for (JsonNode gate : token.get("gates")) {
                any |= gate.asDouble() > 0.5;
            }
            open += any ? 1 : 0;
        }
        assertEquals(open, json.readTree(g.out()).at("/texts/0/intervened").asInt());
        // several texts: one block each, in order; --each-line splits a file
        Path texts = dir.resolve("texts.txt");
        Files.writeString(texts, "Q: Is it cold? A: Yes.\n\nQ: Is it warm? A: No.\n");
        CliTest.Result two = jsteer(cmd("gates", "--mat", dir.resolve("mat").toString(), "--prompt-file", texts.toString(),
                "--each-line", "--json"));
        assertEquals(0, two.code(), two.err());
        JsonNode both = json.readTree(two.out()).get("texts");
        assertEquals(2, both.size());
        assertEquals("Q: Is it warm? A: No.", both.get(1).get("text").asText());
        assertEquals(tokens.toString(), both.get(0).get("tokens").toString());
        CliTest.Result noFile = jsteer(cmd("gates", "--mat", dir.resolve("mat").toString(), "--prompt", "x", "--each-line"));
        assertEquals(2, noFile.code()); // flags that do not go together: a usage error
        assertTrue(noFile.err().contains("--each-line needs --prompt-file"), noFile.err());

        CliTest.Result a = jsteer(cmd("apply", "--mat", dir.resolve("mat").toString(), "--prompt", "Once upon a time",
                "--temperature", "0", "--max-tokens", "8"));
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().startsWith("Once upon a time"), a.out());
        assertTrue(a.err().contains("mat: mean gates truthfulqa"), a.err());
    }

    @Test
    void layerSearchKeepsTheLayerWithTheBestDevScore(@TempDir Path dir) throws Exception {
        CliTest.Result r = jsteer(cmd("train", "--data-dir", shared("data").toString(), "--tasks", "toxigen", "--train-items", "4",
                "--epochs", "2", "--batch-size", "4", "--site", "resid_post:0", "--layers", "1-2", "--dev-items", "3",
                "--out", dir.resolve("m").toString(), "--json"));
        assertEquals(0, r.code(), r.err());
        JsonNode out = new ObjectMapper().readTree(r.out());
        JsonNode layers = out.get("layerSearch");
        assertEquals(2, layers.size());
        int best = layers.get(0).get("meanDevMc2").asDouble() >= layers.get(1).get("meanDevMc2").asDouble() ? 1 : 2;
        assertEquals("resid_post:" + best, out.at("/metadata/site").asText());
        assertEquals("resid_post:" + best, MatCheckpoint.load(dir.resolve("m")).site().toString());
        assertTrue(Files.exists(dir.resolve("m.features.layer1.safetensors")) && Files.exists(dir.resolve("m.features.layer2.safetensors")));
    }

    @Test
    void errorsAreOneLineAndNameTheProblem(@TempDir Path dir) {
        CliTest.Result missing = jsteer(cmd("eval", "--mat", dir.resolve("nope.safetensors").toString()));
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("jsteer: error: no such file: " + dir.resolve("nope.safetensors")), missing.err());
        CliTest.Result deep = jsteer(cmd("train", "--data-dir", shared("data").toString(), "--site", "attn_heads:9",
                "--out", dir.resolve("m").toString()));
        assertEquals(1, deep.code());
        assertTrue(deep.err().contains("attn_heads:9 is past the model's last block 4"), deep.err());
        CliTest.Result sigma = jsteer(cmd("train", "--sigma", "wide", "--out", dir.resolve("m").toString()));
        assertEquals(1, sigma.code());
        assertTrue(sigma.err().contains("--sigma must be a positive number or 'median', got 'wide'"), sigma.err());
        CliTest.Result usage = jsteer("mat", "train");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("--out"), usage.err());
        CliTest.Result help = jsteer("mat", "train", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Example:"), help.out());
    }
}
