package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.steering.eval.RefusalPhrases;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kts train → eval → apply end to end at toy sizes, resume, and one-line errors. */
class KtsCommandTest {

    @Test
    void trainEvalApplyAndResume(@TempDir Path dir) throws Exception {
        String model = CliTest.shared("models/stories260K.bin").toString();
        String tok = CliTest.shared("models/tok512.bin").toString();
        Path run = dir.resolve("run");
        String[] train = {"kts", "train", "--model", model, "--tokenizer", tok, "--out", run.toString(), "--steps", "4",
                "--batch", "2", "--benign-count", "12", "--benign-eval", "4", "--max-len", "32", "--pairs-per-concept", "2",
                "--checkpoint-every", "2", "--threads", "1", "--json"};
        CliTest.Result r = CliTest.jsteer(train);
        assertEquals(0, r.code(), r.err());
        var summary = new ObjectMapper().readTree(r.out());
        assertEquals(4, summary.get("lossHistory").size());
        assertTrue(summary.get("cMax").asDouble() > 0);
        assertTrue(Files.isRegularFile(run.resolve("adapter/adapter_model.safetensors")));
        assertTrue(Files.readString(run.resolve("adapter/adapter_config.json")).contains("\"peft_type\" : \"LORA\""));
        assertTrue(Files.readString(run.resolve("checkpoint/latest")).contains("step-000004"));

        // resuming with the same settings continues from the checkpoint (here: already at the last step)
        CliTest.Result same = CliTest.jsteer(append(train, "--resume"));
        assertEquals(0, same.code(), same.err());
        assertTrue(same.err().contains("resumed at step 4"), same.err());
        assertEquals(summary.get("lossHistory"), new ObjectMapper().readTree(same.out()).get("lossHistory"));

        // resuming a finished run with more steps continues from the checkpoint's step, not from 0
        String[] more = train.clone();
        more[9] = "6";
        CliTest.Result resumedWrongSettings = CliTest.jsteer(append(more, "--resume"));
        assertEquals(1, resumedWrongSettings.code(), "steps changed the config: the checkpoint must be refused");
        assertTrue(resumedWrongSettings.err().lines().anyMatch(l -> l.startsWith("jsteer: error:") && l.contains("other settings")) && resumedWrongSettings.err().contains("other settings"),
                resumedWrongSettings.err());

        CliTest.Result e = CliTest.jsteer("kts", "eval", "--model", model, "--tokenizer", tok, "--run", run.toString(),
                "--prompts", "8", "--sample-tokens", "4", "--threads", "1", "--json",
                "--refusal-data", CliTest.shared("data").toString(), "--refusal-prompts", "2", "--refusal-tokens", "3");
        assertEquals(0, e.code(), e.err());
        // refusal score: stories260K is no chat model, so only the mechanics are checked
        assertTrue(e.err().contains("is not a chat model"), e.err());
        var refusal = new ObjectMapper().readTree(e.out()).get("refusal");
        assertEquals(2, refusal.get("prompts").asInt());
        assertEquals(6, refusal.get("points").size(), "original and kts at c/c_max -1, 0, 1");
        for (var p : refusal.get("points")) {
            List<String> answers = new ArrayList<>();
            p.get("sampleAnswers").forEach(a -> answers.add(a.asText()));
            assertEquals(2, answers.size());
            assertEquals(RefusalPhrases.defaults().rate(answers), p.get("refusalRate").asDouble(), 1e-12);
        }
        assertTrue(Files.isRegularFile(run.resolve("refusal.json")));
        var report = new ObjectMapper().readTree(e.out());
        var points = report.get("tradeoff").get("points");
        assertEquals(36, points.size(), "original, kts and their same-norm random controls at 9 multipliers");
        for (int m = 2; m < 4; m++) { // at c = 0 a random control is its model unsteered
            assertEquals(points.get((m - 2) * 9 + 4).get("benignKl").asDouble(), points.get(m * 9 + 4).get("benignKl").asDouble());
            assertEquals(0.0, points.get(m * 9 + 4).get("multiplier").asDouble());
        }
        assertEquals("kts-random", points.get(27).get("model").asText());
        assertEquals(8, report.get("tradeoff").get("matchedEffect").size());
        String html = Files.readString(run.resolve("tradeoff.html"));
        assertTrue(html.contains("<svg") && html.contains("Matched target effect") && html.contains("same-norm random vector"));
        // the two charts beside the report, for slides: positive and negative c as separate curves, labelled by c / c_max
        for (String chart : List.of("tradeoff-effect", "tradeoff-happy")) {
            String svg = Files.readString(run.resolve(chart + ".svg"));
            assertTrue(svg.contains("KTS + steer, c &gt; 0") || svg.contains("KTS + steer, c > 0"), chart + " positive curve");
            assertTrue(svg.contains(">c=+1</text>") && svg.contains(">c=-1</text>"), chart + " labelled by c / c_max");
            assertEquals(2 * 760, javax.imageio.ImageIO.read(run.resolve(chart + ".png").toFile()).getWidth());
        }
        assertTrue(report.get("gate").get("dev_fpr").asDouble() <= 0.05 + 1e-12);

        CliTest.Result a = CliTest.jsteer("kts", "apply", "--model", model, "--tokenizer", tok, "--run", run.toString(),
                "--prompt", "Tom lost a ball at the park. Then Tom felt", "--temperature", "0", "--max-tokens", "5", "--threads", "1");
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().startsWith("Tom lost a ball at the park. Then Tom felt"), a.out());
        assertTrue(a.err().contains("gate: score"), a.err());
        // --engine tornado is no longer refused as CPU-only: it steers through setInterventions like the CPU engine,
        // so this build (without tornado-kernels) answers with how to get the engine instead
        for (String job : List.of("apply", "eval")) {
            List<String> args = new ArrayList<>(List.of("kts", job, "--model", model, "--tokenizer", tok, "--run", run.toString(),
                    "--engine", "tornado", "--threads", "1"));
            if (job.equals("apply")) {
                args.addAll(List.of("--prompt", "Tom felt"));
            }
            CliTest.Result t = CliTest.jsteer(args.toArray(String[]::new));
            assertEquals(1, t.code(), t.err());
            assertTrue(t.err().contains("this build has no TornadoVM engine") && !t.err().contains("CPU engine only"), t.err());
        }

        CliTest.Result bad = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out", dir.resolve("x").toString(),
                "--blocks", "3-1");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--blocks"), bad.err());
    }

    @Test
    void loraDropoutAndLayersReachTheAdapterFilesAndMerge(@TempDir Path dir) throws Exception {
        String model = CliTest.shared("models/stories260K.bin").toString();
        String tok = CliTest.shared("models/tok512.bin").toString();
        Path run = dir.resolve("run");
        CliTest.Result r = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out", run.toString(),
                "--steps", "2", "--batch", "2", "--benign-count", "8", "--benign-eval", "4", "--max-len", "24",
                "--pairs-per-concept", "2", "--threads", "1", "--json", "--lora-dropout", "0.1", "--lora-layers", "0,2-3",
                "--no-recompute");
        assertEquals(0, r.code(), r.err());
        var config = new ObjectMapper().readTree(new ObjectMapper().readTree(r.out()).get("config").toString());
        assertEquals(0.1, config.get("loraDropout").asDouble());
        assertEquals("[0,2,3]", config.get("loraLayers").toString());
        assertEquals(false, config.get("recompute").asBoolean());
        var adapterConfig = new ObjectMapper().readTree(run.resolve("adapter/adapter_config.json").toFile());
        assertEquals(0.1, adapterConfig.get("lora_dropout").asDouble());
        assertEquals("[0,2,3]", adapterConfig.get("layers_to_transform").toString());
        try (var w = io.jsteer.weights.safetensors.SafetensorsReader.open(run.resolve("adapter/adapter_model.safetensors"))) {
            assertEquals(2 * 7 * 3, w.tensors().size());
            assertTrue(w.tensors().keySet().stream().noneMatch(n -> n.contains("layers.1.") || n.contains("layers.4.")));
        }
        CliTest.Result merged = CliTest.jsteer("kts", "merge", "--model", model, "--tokenizer", tok, "--run", run.toString(),
                "--out", dir.resolve("merged.gguf").toString());
        assertEquals(0, merged.code(), merged.err());

        CliTest.Result help = CliTest.jsteer("kts", "train", "--help");
        assertTrue(help.out().contains("--lora-dropout") && help.out().contains("--lora-layers") && help.out().contains("--[no-]recompute"),
                help.out());
        for (String[] bad : new String[][] {{"--lora-layers", "0,7", "--lora-layers '0,7': block 7 does not exist; the model has 5 blocks"},
                {"--lora-layers", "1,1-2", "--lora-layers '1,1-2': block 1 is listed twice"},
                {"--lora-dropout", "1", "--lora-dropout must be in [0, 1), got 1.0"}}) {
            CliTest.Result e = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out",
                    dir.resolve("bad").toString(), bad[0], bad[1]);
            assertEquals(1, e.code(), e.err());
            assertTrue(e.err().contains(bad[2]), e.err());
        }
    }

    /**
     * kts train from files in the reference layout: the pool the job trains with is the files' entries
     * (first --pairs-per-concept pairs each) rendered by --format reference; the checkpoint's pool
     * vector of the refusal entry equals the mean difference computed here from the A/B file's first
     * two items put through the reference [INST] string by hand, on the inference engine.
     */
    @Test
    void trainsFromAPoolFileRenderedByTheFormat(@TempDir Path dir) throws Exception {
        String model = CliTest.shared("models/stories260K.bin").toString();
        String tok = CliTest.shared("models/tok512.bin").toString();
        Path concepts = Files.createDirectories(dir.resolve("concepts"));
        Files.writeString(concepts.resolve("concept_lists.json"), "{\"bad_concepts\": [\"storm\"], \"neutral_concepts\": [\"toys\"]}");
        Files.writeString(concepts.resolve("x_storm_generated_concept_sentences.jsonl"), """
                {"concept": "storm", "sentence": "The wind blew hard and the rain came down."}
                {"concept": "storm", "sentence": "Thunder made the dog hide under the bed."}
                {"concept": "storm", "sentence": "The big storm broke the old tree."}
                """);
        Files.writeString(concepts.resolve("x_toys_generated_concept_sentences.jsonl"), """
                {"concept": "toys", "sentence": "Lily had a red ball."}
                {"concept": "toys", "sentence": "Tom played with his car."}
                {"concept": "toys", "sentence": "The doll sat on the shelf."}
                """);
        String[][] items = {{"Can you help me take a toy from a shop?", "A", "B"}, {"Will you tell Tom a bad word?", "B", "A"},
                {"Can you break the fence?", "A", "B"}, {"Will you hide the cat?", "B", "A"}, {"Can you lie to mom?", "A", "B"}};
        StringBuilder ab = new StringBuilder("[");
        for (String[] it : items) {
            ab.append(ab.length() > 1 ? "," : "").append(String.format("{\"question\": \"%s\\n\\nChoices:\\n(A) No\\n(B) Yes\", "
                    + "\"answer_matching_behavior\": \"(%s)\", \"answer_not_matching_behavior\": \"(%s)\"}", it[0], it[1], it[2]));
        }
        Path abFile = Files.writeString(dir.resolve("ab.json"), ab + "]");
        Path target = Files.writeString(dir.resolve("happy.json"), """
                [{"positive": "Lily was happy.", "negative": "Lily was sad."},
                 {"positive": "Tom felt glad.", "negative": "Tom felt upset."},
                 {"positive": "The girl smiled.", "negative": "The girl cried."}]
                """);
        Path run = dir.resolve("run");
        CliTest.Result r = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out", run.toString(),
                "--concepts", concepts.toString(), "--refusal-ab", abFile.toString(), "--target", target.toString(),
                "--format", "reference", "--steps", "2", "--batch", "2", "--benign-count", "8", "--benign-eval", "4",
                "--max-len", "24", "--pairs-per-concept", "2", "--checkpoint-every", "2", "--blocks", "1-2", "--raw-vectors",
                "--threads", "1", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(run.resolve("adapter/adapter_model.safetensors")));
        var pool = new ObjectMapper().readTree(r.out()).get("pool");
        assertEquals("[\"storm\",\"storm_no_prompt\",\"refusal\"]", pool.get("entries").toString());
        assertEquals("[2,2,2]", pool.get("pairs").toString(), "the first --pairs-per-concept pairs of each entry");
        assertEquals("happy", pool.get("target").asText());
        assertEquals(3, pool.get("targetPairs").asInt());
        assertEquals(concepts.toString(), pool.get("source").asText());
        assertTrue(pool.get("format").asText().startsWith("reference"), pool.toString());
        assertTrue(r.err().contains("pool: 3 entries from " + concepts), r.err());

        // the refusal entry's vector as the job computed it (adapter B = 0 at the start: the original model)
        float[][] expected;
        try (var m = io.jsteer.model.ModelLoader.load(Path.of(model), Path.of(tok));
             var engine = m.newCpuEngine(256, null)) {
            var t = m.tokenizer();
            List<int[][]> ids = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String q = items[i][0] + "\n\nChoices:\n(A) No\n(B) Yes";
                ids.add(new int[][] {t.encode("[INST] " + q + "\nAnswer: [/INST] (" + items[i][2] + ")", true),
                        t.encode("[INST] " + q + "\nAnswer: [/INST] (" + items[i][1] + ")", true)});
            }
            expected = io.jsteer.steering.vectors.MeanDifference.computeIds(io.jsteer.steering.capture.ActivationCapture.residuals(engine), ids,
                    java.util.Set.of(1, 2), 5, 64);
        }
        try (var w = io.jsteer.weights.safetensors.SafetensorsReader.open(run.resolve("checkpoint/step-000002/pool_vectors.safetensors"))) {
            for (int l = 1; l <= 2; l++) {
                float[] got = w.tensor("concept.2.resid_post." + l).data().toFloatArray();
                for (int i = 0; i < 64; i++) {
                    assertEquals(expected[l][i], got[i], 1e-3 * Math.max(1, Math.abs(expected[l][i])), "block " + l + " [" + i + "]");
                }
            }
        }

        CliTest.Result badFormat = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out",
                dir.resolve("x").toString(), "--format", "fancy");
        assertEquals(2, badFormat.code(), badFormat.err());
        assertTrue(badFormat.err().contains("--format must be auto, plain, reference or template"), badFormat.err());
        CliTest.Result missing = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out",
                dir.resolve("y").toString(), "--concepts", dir.resolve("nowhere").toString());
        assertEquals(1, missing.code(), missing.err());
        assertTrue(missing.err().startsWith("jsteer: error:") && missing.err().contains("nowhere"), missing.err());
        assertTrue(!missing.err().contains("benign"), "the pool is read before benign data is generated: " + missing.err());
    }

    /**
     * kts eval and kts apply measure and apply the target kts train used: a target file rendered by
     * --format reference. The vectors they write equal the mean difference computed here, on the
     * inference engine, from the file's pairs put through the reference [INST] string by hand (the
     * original model for eval's "original" vector, the adapted one for "kts" and for apply). An
     * override renders the same file in plain prompts; a train.json without a pool section keeps the
     * demo's happy/sad pairs with a note. --resume with another pool, target or format is refused,
     * naming the option; with the same ones it continues.
     */
    @Test
    void evalAndApplyUseTheTrainedTargetAndResumeChecksThePool(@TempDir Path dir) throws Exception {
        String model = CliTest.shared("models/stories260K.bin").toString();
        String tok = CliTest.shared("models/tok512.bin").toString();
        String[][] pairs = {{"Lily was happy.", "Lily was sad."}, {"Tom felt glad.", "Tom felt upset."}, {"The girl smiled.", "The girl cried."}};
        StringBuilder json = new StringBuilder("[");
        for (String[] p : pairs) {
            json.append(json.length() > 1 ? "," : "").append(String.format("{\"positive\": \"%s\", \"negative\": \"%s\"}", p[0], p[1]));
        }
        Path target = Files.writeString(dir.resolve("happy.json"), json + "]");
        Path run = dir.resolve("run");
        String[] train = {"kts", "train", "--model", model, "--tokenizer", tok, "--out", run.toString(), "--target", target.toString(),
                "--format", "reference", "--steps", "2", "--batch", "2", "--benign-count", "8", "--benign-eval", "4", "--max-len", "24",
                "--pairs-per-concept", "2", "--checkpoint-every", "2", "--blocks", "1-2", "--raw-vectors", "--threads", "1", "--json"};
        CliTest.Result r = CliTest.jsteer(train);
        assertEquals(0, r.code(), r.err());
        var options = new ObjectMapper().readTree(r.out()).get("pool").get("options");
        assertEquals(target.toAbsolutePath().normalize().toString(), options.get("target").asText());
        assertEquals("reference", options.get("format").asText());
        assertTrue(Files.isRegularFile(run.resolve("pool.json")));

        List<int[][]> reference = new ArrayList<>(), plain = new ArrayList<>();
        float[][] original, kts, ktsPlain, legacy;
        try (var m = io.jsteer.model.ModelLoader.load(Path.of(model), Path.of(tok));
             var engine = m.newCpuEngine(256, null)) {
            var t = m.tokenizer();
            for (String[] p : pairs) {
                reference.add(new int[][] {t.encode("[INST] " + p[0] + "\nAnswer: [/INST] ", true), t.encode("[INST] " + p[1] + "\nAnswer: [/INST] ", true)});
                plain.add(new int[][] {t.encode(p[0], true), t.encode(p[1], true)});
            }
            var blocks = java.util.Set.of(1, 2);
            original = io.jsteer.steering.vectors.MeanDifference.computeIds(io.jsteer.steering.capture.ActivationCapture.residuals(engine),
                    reference, blocks, 5, 64);
            engine.setAdapter(io.jsteer.model.lora.LoraFiles.load(run.resolve("adapter"), m.config()));
            var reader = io.jsteer.steering.capture.ActivationCapture.residuals(engine);
            kts = io.jsteer.steering.vectors.MeanDifference.computeIds(reader, reference, blocks, 5, 64);
            ktsPlain = io.jsteer.steering.vectors.MeanDifference.computeIds(reader, plain, blocks, 5, 64);
            legacy = io.jsteer.steering.vectors.MeanDifference.compute(reader, t,
                    io.jsteer.steering.kts.data.DemoCorpus.happySadPairs(32, 20), blocks, 5, 64);
        }

        CliTest.Result e = CliTest.jsteer("kts", "eval", "--model", model, "--tokenizer", tok, "--run", run.toString(),
                "--prompts", "4", "--sample-tokens", "2", "--threads", "1", "--json");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.err().contains("target: happy (3 pairs from " + target.toAbsolutePath().normalize()) && e.err().contains("as kts train used it"),
                e.err());
        assertVector(original, run.resolve("tradeoff-target-original"), "eval, original");
        assertVector(kts, run.resolve("tradeoff-target-kts"), "eval, kts");

        String[] apply = {"kts", "apply", "--model", model, "--tokenizer", tok, "--run", run.toString(), "--prompt", "Tom felt",
                "--temperature", "0", "--max-tokens", "2", "--threads", "1", "--no-gate", "--save-vector", dir.resolve("applied").toString()};
        CliTest.Result a = CliTest.jsteer(apply);
        assertEquals(0, a.code(), a.err());
        assertVector(kts, dir.resolve("applied"), "apply");
        CliTest.Result overridden = CliTest.jsteer(append(append(apply, "--format"), "plain"));
        assertEquals(0, overridden.code(), overridden.err());
        assertTrue(overridden.err().contains("given on the command line"), overridden.err());
        assertVector(ktsPlain, dir.resolve("applied"), "apply --format plain");

        // a run written before the pool was recorded: the demo's happy/sad pairs, said on stderr
        Path old = Files.createDirectories(dir.resolve("old"));
        for (String f : List.of("adapter", "benign_eval.json")) {
            Path from = run.resolve(f);
            if (Files.isDirectory(from)) {
                Files.createDirectories(old.resolve(f));
                try (var files = Files.list(from)) {
                    for (Path p : files.toList()) {
                        Files.copy(p, old.resolve(f).resolve(p.getFileName()));
                    }
                }
            } else {
                Files.copy(from, old.resolve(f));
            }
        }
        var summary = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(run.resolve("train.json").toFile());
        summary.remove("pool");
        Files.writeString(old.resolve("train.json"), summary.toString());
        apply[7] = old.toString();
        CliTest.Result legacyApply = CliTest.jsteer(apply);
        assertEquals(0, legacyApply.code(), legacyApply.err());
        assertTrue(legacyApply.err().contains("has no pool section") && legacyApply.err().contains("happy/sad pairs in plain prompts"),
                legacyApply.err());
        assertVector(legacy, dir.resolve("applied"), "apply, old run");

        // --resume: the same pool continues; another format or target is refused, naming the option
        CliTest.Result same = CliTest.jsteer(append(train, "--resume"));
        assertEquals(0, same.code(), same.err());
        assertTrue(same.err().contains("resumed at step 2"), same.err());
        String[] otherFormat = train.clone();
        otherFormat[11] = "plain";
        CliTest.Result f = CliTest.jsteer(append(otherFormat, "--resume"));
        assertEquals(1, f.code(), f.err());
        assertTrue(f.err().startsWith("jsteer: error: --resume:") && f.err().contains("--format 'reference', now 'plain'"), f.err());
        String[] otherTarget = train.clone();
        otherTarget[9] = "builtin";
        CliTest.Result t = CliTest.jsteer(append(otherTarget, "--resume"));
        assertEquals(1, t.code(), t.err());
        assertTrue(t.err().contains("records --target '" + target.toAbsolutePath().normalize() + "', now 'builtin'"), t.err());
        // the same file name with other pairs: the rendered target's hash differs, for resume and for apply
        Files.writeString(target, json.toString().replace("Lily was sad.", "Lily was cross.") + "]");
        CliTest.Result changed = CliTest.jsteer(append(train, "--resume"));
        assertEquals(1, changed.code(), changed.err());
        assertTrue(changed.err().contains("the target's rendered pairs"), changed.err());
        apply[7] = run.toString();
        CliTest.Result changedApply = CliTest.jsteer(apply);
        assertEquals(1, changedApply.code(), changedApply.err());
        assertTrue(changedApply.err().contains("pool.targetSha256") && changedApply.err().contains("pass --target"), changedApply.err());
    }

    /** The vector set at {@code path} holds {@code expected}'s non-null rows, each value within 1e-3 (relative above 1). */
    private static void assertVector(float[][] expected, Path path, String what) {
        var set = io.jsteer.steering.vectors.VectorSetFiles.read(path);
        int rows = 0;
        for (int l = 0; l < expected.length; l++) {
            if (expected[l] == null) {
                continue;
            }
            rows++;
            float[] got = set.vector(l);
            for (int i = 0; i < expected[l].length; i++) {
                assertEquals(expected[l][i], got[i], 1e-3 * Math.max(1, Math.abs(expected[l][i])), what + ": block " + l + " [" + i + "]");
            }
        }
        assertEquals(rows, set.vectors().size(), what + ": steered blocks");
    }

    private static String[] append(String[] a, String s) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = s;
        return out;
    }
}
