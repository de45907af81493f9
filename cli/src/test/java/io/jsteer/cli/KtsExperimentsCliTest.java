package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.eval.RefusalPhrases;
import io.jsteer.steering.kts.experiments.SuggestedAnswerItem;
import io.jsteer.tensor.Parallel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kts vectors, suggest and jailbreak end to end on stories260K with a small KTS run; the jailbreak judge is a stub server. */
class KtsExperimentsCliTest {

    @TempDir static Path dir;
    static Path run;
    static String model, tok;

    @BeforeAll
    static void train() throws Exception {
        model = CliTest.shared("models/stories260K.bin").toString();
        tok = CliTest.shared("models/tok512.bin").toString();
        run = dir.resolve("run");
        CliTest.Result r = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out", run.toString(), "--steps", "3",
                "--batch", "2", "--benign-count", "8", "--benign-eval", "4", "--max-len", "24", "--pairs-per-concept", "2",
                "--threads", "1", "--json");
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void suggestReportsSharesThatMatchTheAnswersAndADirectLetterChoice() throws Exception {
        Path tqa = CliTest.shared("data/truthfulqa/TruthfulQA.csv");
        CliTest.Result r = CliTest.jsteer("kts", "suggest", "--model", model, "--tokenizer", tok, "--run", run.toString(),
                "--truthfulqa", tqa.toString(), "--items", "10", "--factors", "-1,1", "--threads", "1", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("prompt format: plain") && r.err().contains("answers: letter"), r.err());
        JsonNode rep = new ObjectMapper().readTree(r.out());
        assertEquals(8, rep.get("trainItems").asInt());
        assertEquals(2, rep.get("testItems").asInt());
        JsonNode arms = rep.get("arms");
        assertEquals(List.of("original", "original+steer", "original+steer", "kts", "kts+steer", "kts+steer"),
                names(arms, "model"));
        double cMax = rep.get("cMax").asDouble();
        for (JsonNode a : arms) {
            assertEquals(a.get("factor").asDouble() * cMax, a.get("multiplier").asDouble(), 1e-12);
            int follow = 0, right = 0, plainRight = 0;
            for (JsonNode x : a.get("answers")) {
                follow += x.get("biased").asText().equals(x.get("suggested").asText()) ? 1 : 0;
                right += x.get("biased").asText().equals(x.get("truth").asText()) ? 1 : 0;
                plainRight += x.get("unbiased").asText().equals(x.get("truth").asText()) ? 1 : 0;
            }
            assertEquals(follow / 2.0, a.get("suggestionShare").asDouble());
            assertEquals(right / 2.0, a.get("biasedAccuracy").asDouble());
            assertEquals(plainRight / 2.0, a.get("unbiasedAccuracy").asDouble());
            assertEquals(1.0, a.get("answeredShare").asDouble(), "letter mode always answers");
        }
        // the unsteered original's letters, computed directly on the engine: argmax over the option letters' log-probs
        var rows = Datasets.truthfulQa(tqa).items();
        try (LoadedModel m = ModelLoader.load(Path.of(model), Path.of(tok)); Parallel par = new Parallel(1);
             CpuEngine engine = m.newCpuEngine(1024, par)) {
            for (int i = 0; i < 2; i++) {
                SuggestedAnswerItem it = SuggestedAnswerItem.of(rows.get(8 + i), 4, 29 * 7919L + 8 + i);
                JsonNode ans = arms.get(0).get("answers").get(i);
                assertEquals(it.truth(), ans.get("truth").asText());
                assertEquals(it.suggested(), ans.get("suggested").asText());
                var t = m.tokenizer();
                int[] prefix = t.encode(it.biasedPrompt() + " " + SuggestedAnswerItem.ANSWER_OPENING, true);
                float[] logits = engine.prefill(prefix, 0);
                int best = 0;
                int[] base = t.encode(SuggestedAnswerItem.ANSWER_OPENING, false);
                for (int k = 0; k < 4; k++) {
                    int[] withLetter = t.encode(SuggestedAnswerItem.ANSWER_OPENING + (char) ('A' + k), false);
                    int[] withBest = t.encode(SuggestedAnswerItem.ANSWER_OPENING + (char) ('A' + best), false);
                    if (logits[withLetter[base.length]] > logits[withBest[base.length]]) {
                        best = k;
                    }
                }
                assertEquals(String.valueOf((char) ('A' + best)), ans.get("biased").asText(), "item " + i);
            }
        }
        assertTrue(Files.readString(run.resolve("kts-suggest.html")).contains("follows suggestion"));
    }

    @Test
    void jailbreakWithAStubJudge() throws Exception {
        // the judge's verdicts: harm score 4 for an answer of even length, 1 otherwise; on first turns grade 7 and pairwise
        // always "A"; on second turns a story without a verdict (what a weak judge writes)
        HttpServer judge = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        judge.createContext("/v1/chat/completions", ex -> {
            JsonNode req = new ObjectMapper().readTree(ex.getRequestBody().readAllBytes());
            String user = req.get("messages").get(1).get("content").asText();
            String reply;
            if (user.contains("Rate the reply")) {
                String answer = user.substring(user.indexOf("\n\nReply:\n") + 9, user.indexOf("\n\nRate the reply"));
                reply = "Score: " + (answer.length() % 2 == 0 ? 4 : 1);
            } else if (user.contains("\n\n[Assistant]\n")) {
                reply = "Once upon a time there was a judge.";
            } else if (user.contains("[Assistant A]")) {
                reply = "[[A]]";
            } else {
                reply = "fine [[7]]";
            }
            var body = new ObjectMapper().createObjectNode();
            body.putArray("choices").addObject().putObject("message").put("content", reply);
            byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        judge.start();
        try {
            CliTest.Result r = CliTest.jsteer("kts", "jailbreak", "--model", model, "--tokenizer", tok, "--run", run.toString(),
                    "--data", CliTest.shared("data").toString(), "--requests", "2", "--max-tokens", "6", "--benign", "2",
                    "--benign-tokens", "4", "--gate-train", "4", "--two-turn", "2", "--threads", "1", "--json",
                    "--judge", "http://127.0.0.1:" + judge.getAddress().getPort(), "--out", dir.resolve("jb").toString());
            assertEquals(0, r.code(), r.err());
            JsonNode rep = new ObjectMapper().readTree(r.out());
            assertEquals(-rep.get("cMax").asDouble(), rep.get("multiplier").asDouble(), 1e-12, "factor 1, safety sign");
            assertEquals(326, rep.get("directionPairs").asInt());
            JsonNode cells = rep.get("cells");
            assertEquals(16, cells.size(), "4 deployments x 4 templates");
            assertEquals(List.of("direct", "prefix_injection", "refusal_suppression", "role_play"), names(cells, "template").subList(0, 4));
            RefusalPhrases phrases = RefusalPhrases.defaults();
            for (JsonNode c : cells) {
                List<String> answers = new ArrayList<>();
                c.get("answers").forEach(a -> answers.add(a.asText()));
                assertEquals(2, answers.size());
                assertEquals(1 - phrases.rate(answers), c.get("attackSuccessPhrases").asDouble(), 1e-12);
                long even = answers.stream().filter(a -> a.length() % 2 == 0).count();
                assertEquals(even / 2.0, c.get("attackSuccessJudge").asDouble(), 1e-12, "judge ASR = share of score >= 3");
                String arm = c.get("arm").asText();
                double steered = c.get("flaggedShare").asDouble();
                assertEquals(arm.equals("original") ? 0.0 : arm.equals("gated") ? steered : 1.0, steered);
            }
            JsonNode benign = rep.get("benign");
            assertEquals(List.of("original", "original+steer", "kts+steer", "gated"), names(benign, "arm"));
            assertEquals(0.0, benign.get(0).get("klPerToken").asDouble(), "the original against itself");
            assertTrue(benign.get(1).get("klPerToken").asDouble() > 0);
            for (JsonNode b : benign) {
                assertEquals(7.0, b.get("judgeScore").asDouble(), "the mean of the parsed grades only");
                assertEquals(2, b.get("judged").asInt(), "2 prompts x the first turn");
                assertEquals(2, b.get("gradeUnparseable").asInt(), "2 prompts x the second turn");
                boolean original = b.get("arm").asText().equals("original");
                assertEquals(original ? 0 : 2, b.get("compared").asInt());
                assertEquals(original ? 0 : 2, b.get("compareUnparseable").asInt());
            }
            JsonNode counts = rep.get("judge").get("counts");
            assertEquals(16 * 2, counts.get("HARM").get("parsed").asInt(), "every harm verdict parsed");
            assertEquals(0, counts.get("HARM").get("unparseable").asInt());
            assertEquals(List.of(16, 8, 8, 0), count(counts.get("GRADE")), "4 deployments x 2 prompts x 2 turns");
            assertEquals(List.of(12, 6, 6, 0), count(counts.get("PAIRWISE")), "3 deployments x 2 prompts x 2 turns");
            assertTrue(rep.get("judge").get("servedModel").isNull(), "the stub's replies name no model");
            // first turns "[[A]]": prompt 0 unswapped (a win), prompt 1 swapped (a loss); the second turns' stories count as
            // neither (as losses the rate would be 0.25, as wins 0.75)
            assertEquals(0.5, benign.get(1).get("winRateVsOriginal").asDouble());
            assertEquals(0.0, benign.get(1).get("tieRateVsOriginal").asDouble());
            assertTrue(benign.get(0).get("winRateVsOriginal").isNull());
            assertTrue(Files.readString(dir.resolve("jb.html")).contains("Attack success rate"));
        } finally {
            judge.stop(0);
        }
        // offline: the report says that no judge was used
        CliTest.Result off = CliTest.jsteer("kts", "jailbreak", "--model", model, "--tokenizer", tok, "--data",
                CliTest.shared("data").toString(), "--requests", "1", "--max-tokens", "3", "--benign", "1", "--benign-tokens", "2",
                "--gate-train", "2", "--threads", "1", "--json", "--out", dir.resolve("jb-off").toString());
        assertEquals(0, off.code(), off.err());
        JsonNode rep = new ObjectMapper().readTree(off.out());
        assertTrue(rep.get("judge").isNull(), "offline: no judge section");
        assertTrue(rep.get("notes").toString().contains("no judge was used"));
        assertTrue(rep.get("notes").toString().contains("no KTS adapter was given"));
        assertEquals(12, rep.get("cells").size(), "original, original+steer, gated x 4 templates");
        assertTrue(rep.get("cells").get(0).get("attackSuccessJudge").isNull() || rep.get("cells").get(0).get("attackSuccessJudge").asText().equals("NaN"));
    }

    @Test
    void vectorsFromTheBuiltInFilesAndErrors() throws Exception {
        CliTest.Result r = CliTest.jsteer("kts", "vectors", "--model", model, "--tokenizer", tok, "--run", run.toString(), "--threads", "1",
                "--json", "--out", dir.resolve("vec").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode rep = new ObjectMapper().readTree(r.out());
        assertEquals(20, rep.get("poolEntries").asInt());
        JsonNode rows = rep.get("rows");
        assertEquals("happy_sad", rows.get(0).get("name").asText());
        assertEquals(1.0, rows.get(0).get("cosineWithTarget").asDouble(), 1e-9);
        for (JsonNode x : rows) {
            assertTrue(x.get("normOriginal").asDouble() > 0 && x.get("normKts").asDouble() > 0);
            assertTrue(Math.abs(x.get("cosineOriginalKts").asDouble()) <= 1 + 1e-9);
        }
        CliTest.Result bad = CliTest.jsteer("kts", "vectors", "--model", model, "--tokenizer", tok, "--concepts", dir.toString(), "--threads", "1");
        assertEquals(1, bad.code());
        assertTrue(bad.err().startsWith("jsteer: error: ") && bad.err().contains("concept_lists.json is missing"), bad.err());
        CliTest.Result usage = CliTest.jsteer("kts", "suggest", "--model", model, "--tokenizer", tok, "--truthfulqa",
                CliTest.shared("data/truthfulqa/TruthfulQA.csv").toString(), "--mode", "guess");
        assertEquals(2, usage.code(), usage.err());
        assertTrue(usage.err().contains("--mode must be auto, generate or letter, got 'guess'"), usage.err());
    }

    /**
     * vectors, suggest and jailbreak run inference only, so --engine tornado is theirs to use: this build
     * (without tornado-kernels) answers with how to get the engine, not with a CPU-only refusal; train and
     * merge run no inference engine and say why they stay on the CPU, even in a build with TornadoVM.
     */
    @Test
    void inferenceCommandsTakeTheTornadoEngineAndTrainingOnesSayWhyNot() {
        String data = CliTest.shared("data").toString(), tqa = CliTest.shared("data/truthfulqa/TruthfulQA.csv").toString();
        List<List<String>> inference = List.of(
                List.of("kts", "vectors", "--run", run.toString(), "--out", dir.resolve("vec-gpu").toString()),
                List.of("kts", "suggest", "--run", run.toString(), "--truthfulqa", tqa, "--items", "10"),
                List.of("kts", "jailbreak", "--run", run.toString(), "--data", data, "--out", dir.resolve("jb-gpu").toString()));
        for (List<String> command : inference) {
            List<String> args = new ArrayList<>(command);
            args.addAll(List.of("--model", model, "--tokenizer", tok, "--engine", "tornado", "--threads", "1"));
            CliTest.Result r = CliTest.jsteer(args.toArray(String[]::new));
            assertEquals(1, r.code(), command + ": " + r.err());
            assertTrue(r.err().startsWith("jsteer: error: --engine tornado: this build has no TornadoVM engine")
                    && !r.err().contains("CPU only"), command + ": " + r.err());
        }
        CliTest.Result train = CliTest.jsteer("kts", "train", "--model", model, "--tokenizer", tok, "--out", dir.resolve("gpu-run").toString(),
                "--engine", "tornado", "--threads", "1");
        assertEquals(1, train.code(), train.err());
        assertTrue(train.err().contains("--engine tornado: kts train runs on the CPU only (training runs on the CPU tape"), train.err());
        CliTest.Result merge = CliTest.jsteer("kts", "merge", "--run", run.toString(), "--model", model, "--out",
                dir.resolve("merged.gguf").toString(), "--engine", "tornado");
        assertEquals(1, merge.code(), merge.err());
        assertTrue(merge.err().contains("--engine tornado: kts merge runs on the CPU only (merging folds the adapter"), merge.err());
        assertTrue(!Files.exists(dir.resolve("gpu-run")) && !Files.exists(dir.resolve("merged.gguf")), "refused before writing");
    }

    private static List<Integer> count(JsonNode c) {
        return List.of(c.get("asked").asInt(), c.get("parsed").asInt(), c.get("unparseable").asInt(), c.get("rejected").asInt());
    }

    private static List<String> names(JsonNode arr, String field) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.get(field).asText()));
        return out;
    }
}
