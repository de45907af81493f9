package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.cli.serve.GenerationService;
import io.jsteer.cli.serve.OpenAiServer;
import io.jsteer.cli.serve.SteeringResolver;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MAT-Steer's generative setting end to end on stories260K with the hand-written HelpSteer-format
 * fixture: {@code mat train --tasks helpsteer}, then {@code mat generate-eval} offline and against a
 * real judge ({@code jsteer serve}'s server started in-process on stories260K, nothing stubbed).
 */
class MatHelpSteerCliTest {

    static final String FIXTURE = Path.of("../steering/src/test/resources/helpsteer/sample.jsonl").toString();
    static final List<String> ATTRIBUTES = List.of("helpfulness", "correctness", "coherence", "complexity", "verbosity");
    static final int PROMPTS = 3;

    private static String[] args(String sub, String... rest) {
        List<String> a = new ArrayList<>(List.of("mat", sub, "--model", shared("models/stories260K.bin").toString(), "--tokenizer",
                shared("models/tok512.bin").toString(), "--threads", "1"));
        a.addAll(List.of(rest));
        return a.toArray(String[]::new);
    }

    private static Path train(Path dir) throws Exception {
        Path out = dir.resolve("mat-gen");
        CliTest.Result r = jsteer(args("train", "--tasks", "helpsteer", "--data", FIXTURE, "--epochs", "3", "--out", out.toString(),
                "--json"));
        assertEquals(0, r.code(), r.err());
        JsonNode meta = new ObjectMapper().readTree(r.out()).get("metadata");
        assertEquals(ATTRIBUTES, iterate(meta.get("attributes")), "the five HelpSteer attributes, in order");
        // the paper's generation settings unless given
        assertEquals(0.8, meta.get("lambdaPos").asDouble(), 0);
        assertEquals(0.8, meta.get("lambdaSparse").asDouble(), 0);
        assertEquals(0.1, meta.get("lambdaOrtho").asDouble(), 0);
        assertEquals(160, meta.get("batchSize").asInt());
        assertEquals("answer", meta.get("trainTokens").asText());
        assertTrue(r.err().contains("mat: helpsteer helpfulness: 8 desirable and 8 undesirable train rows"), r.err());
        return out;
    }

    @Test
    void trainsOnTheFixtureAndEvaluatesOfflineSayingNoJudgeWasUsed(@TempDir Path dir) throws Exception {
        Path module = train(dir);
        String[] eval = args("generate-eval", "--mat", module + ".safetensors", "--data", FIXTURE, "--prompts", "" + PROMPTS,
                "--max-tokens", "12", "--json");
        CliTest.Result r = jsteer(eval);
        assertEquals(0, r.code(), r.err());
        JsonNode rep = new ObjectMapper().readTree(r.out());
        assertEquals(false, rep.get("judged").asBoolean());
        assertTrue(rep.get("judge").isNull());
        assertEquals(0, rep.get("winRates").size(), "no judge, no win rates");
        assertTrue(rep.get("notes").toString().contains("no judge was used"), rep.get("notes").toString());
        assertEquals(PROMPTS, rep.get("prompts").asInt());
        assertEquals(PROMPTS, rep.get("responses").size());
        List<String> arms = new ArrayList<>();
        for (JsonNode a : rep.get("arms")) {
            arms.add(a.get("arm").asText());
            double tokens = a.get("meanResponseTokens").asDouble();
            assertTrue(tokens > 0 && tokens <= 12, a.toString());
            for (String at : ATTRIBUTES) {
                double g = a.get("meanGate").get(at).asDouble();
                assertTrue(g > 0 && g < 1, "a sigmoid gate: " + a);
            }
        }
        assertEquals(List.of("base", "caa-sum", "mat"), arms);
        for (JsonNode resp : rep.get("responses")) {
            assertEquals(3, resp.get("responses").size());
            assertTrue(resp.get("scores").isEmpty(), "nothing scored offline: " + resp);
        }
        // seeded split and greedy decoding: a second run gives the same report
        assertEquals(r.out(), jsteer(eval).out());

        CliTest.Result table = jsteer(args("generate-eval", "--mat", module + ".safetensors", "--data", FIXTURE, "--prompts", "1",
                "--max-tokens", "4"));
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().contains("MAT-Steer generation on 1 HelpSteer test prompts") && table.out().contains("no judge was used")
                && table.out().contains("caa-sum"), table.out());
        assertTrue(table.err().contains("no judge"), table.err());

        CliTest.Result noData = jsteer(args("train", "--tasks", "helpsteer", "--out", dir.resolve("x").toString()));
        assertEquals(2, noData.code(), noData.err());
        assertTrue(noData.err().contains("--tasks helpsteer needs --data FILE"), noData.err());
    }

    @Test
    void winRatesFromAJudgeServedOverHttpCountOnlyParsedVerdicts(@TempDir Path dir) throws Exception {
        Path module = train(dir);
        try (LoadedModel judge = ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
             GenerationService service = new GenerationService(judge, ChatTemplate.forTokenizer(judge.tokenizer(), null),
                     SteeringResolver.none(), List.of(), 1, 1, judge.config().contextLength());
             OpenAiServer server = new OpenAiServer(service, 64, line -> {}).start("127.0.0.1", 0)) {
            String url = "http://127.0.0.1:" + server.port() + "/v1";
            CliTest.Result r = jsteer(args("generate-eval", "--mat", module + ".safetensors", "--data", FIXTURE, "--prompts",
                    "" + PROMPTS, "--max-tokens", "12", "--json", "--judge", url, "--judge-model", "tiny-judge", "--judge-retries", "0",
                    "--judge-max-tokens", "64"));
            assertEquals(0, r.code(), r.err());
            JsonNode rep = new ObjectMapper().readTree(r.out());
            assertTrue(rep.get("judged").asBoolean());
            JsonNode j = rep.get("judge");
            assertEquals(url + "/chat/completions", j.get("url").asText());
            assertEquals("tiny-judge", j.get("requestedModel").asText());
            assertEquals("stories260K", j.get("servedModel").asText());
            JsonNode c = j.at("/counts/ATTRIBUTES");
            int asked = c.get("asked").asInt(), parsed = c.get("parsed").asInt(), unparseable = c.get("unparseable").asInt();
            assertEquals(3 * PROMPTS, asked, "every arm's response scored once per prompt");
            assertEquals(asked, parsed + unparseable);
            assertEquals(asked, server.requestCount(), "one request per verdict, nothing retried");
            assertEquals(0, j.at("/counts/PAIRWISE/asked").asInt());

            int unjudged = 0;
            for (JsonNode a : rep.get("arms")) {
                assertEquals(PROMPTS, a.get("judged").asInt() + a.get("unjudged").asInt(), a.toString());
                unjudged += a.get("unjudged").asInt();
                if (a.get("judged").asInt() == 0) {
                    assertTrue(a.get("meanJudgeScore").get("helpfulness").isNull(), "no parsed verdict, no mean: " + a);
                }
            }
            assertEquals(unparseable, unjudged, "each unreadable verdict is one arm's unscored response");
            // per response: a score array exactly where the verdict was parsed
            int scored = 0;
            for (JsonNode resp : rep.get("responses")) {
                for (JsonNode s : resp.get("scores")) {
                    if (!s.isNull()) {
                        scored++;
                        assertEquals(5, s.size());
                    }
                }
            }
            assertEquals(parsed, scored);

            assertEquals(2, rep.get("winRates").size());
            for (JsonNode w : rep.get("winRates")) {
                int compared = w.get("compared").asInt();
                assertEquals(PROMPTS, compared + w.get("excluded").asInt(), w.toString());
                assertEquals(compared, w.get("wins").asInt() + w.get("ties").asInt() + w.get("losses").asInt(), w.toString());
                if (compared == 0) {
                    assertTrue(w.get("winRate").isNull(), "unreadable verdicts are no wins and no losses: " + w);
                } else {
                    assertEquals(w.get("wins").asDouble() / compared, w.get("winRate").asDouble(), 1e-12, w.toString());
                }
            }
            String note = "judge: stories260K, asked as 'tiny-judge' at " + url + "/chat/completions; " + unparseable + " of " + asked
                    + " verdicts unparseable";
            assertTrue(rep.get("notes").toString().contains(note), rep.get("notes").toString());
        }
    }

    private static List<String> iterate(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
