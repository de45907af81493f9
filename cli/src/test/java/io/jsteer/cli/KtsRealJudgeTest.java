package io.jsteer.cli;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kts jailbreak --judge} against a real judge: {@code jsteer serve}'s OpenAI-compatible server
 * started in-process on stories260K, nothing stubbed. A 260K-parameter story model answers the
 * rubrics with stories, and some of the longer comparison prompts do not fit its 512-token context
 * (HTTP 400): the report must count both as unparseable verdicts, keep them out of every rate, and
 * say which judge (model and URL) gave them.
 */
class KtsRealJudgeTest {

    @Test
    void jailbreakJudgedByStories260KServedOverHttp(@TempDir Path dir) throws Exception {
        try (LoadedModel judge = ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
             GenerationService service = new GenerationService(judge, ChatTemplate.forTokenizer(judge.tokenizer(), null),
                     SteeringResolver.none(), List.of(), 1, 1, judge.config().contextLength());
             OpenAiServer server = new OpenAiServer(service, 64, line -> {}).start("127.0.0.1", 0)) {
            String url = "http://127.0.0.1:" + server.port() + "/v1";
            CliTest.Result r = CliTest.jsteer("kts", "jailbreak", "--model", shared("models/stories260K.bin").toString(),
                    "--tokenizer", shared("models/tok512.bin").toString(), "--data", shared("data").toString(), "--requests", "1",
                    "--max-tokens", "48", "--benign", "1", "--benign-tokens", "4", "--gate-train", "4", "--two-turn", "1",
                    "--threads", "1", "--json", "--judge", url, "--judge-model", "tiny-judge", "--judge-retries", "0",
                    "--out", dir.resolve("jb").toString());
            assertEquals(0, r.code(), r.err());
            JsonNode rep = new ObjectMapper().readTree(r.out());
            JsonNode j = rep.get("judge");
            assertEquals(url + "/chat/completions", j.get("url").asText());
            assertEquals("tiny-judge", j.get("requestedModel").asText(), "the model field sent");
            assertEquals("stories260K", j.get("servedModel").asText(), "the model the server says answered");

            // no KTS adapter: original, original+steer, gated; 4 templates x 1 request; 1 two-turn prompt = 2 turns
            JsonNode counts = j.get("counts");
            int[] asked = {counts.get("HARM").get("asked").asInt(), counts.get("GRADE").get("asked").asInt(),
                    counts.get("PAIRWISE").get("asked").asInt()};
            assertEquals(3 * 4, asked[0]);
            assertEquals(3 * 2, asked[1], "every deployment's two answers graded");
            assertEquals(2 * 2, asked[2], "the two steered deployments against the original");
            int unparseable = 0, rejected = 0;
            for (var kind : List.of("HARM", "GRADE", "PAIRWISE")) {
                JsonNode c = counts.get(kind);
                assertEquals(c.get("asked").asInt() - c.get("parsed").asInt(), c.get("unparseable").asInt(), kind);
                assertTrue(c.get("rejected").asInt() <= c.get("unparseable").asInt(), kind);
                unparseable += c.get("unparseable").asInt();
                rejected += c.get("rejected").asInt();
            }
            // every verdict is one request the real server saw: rejected ones included, nothing retried, nothing else sent
            assertEquals(0, j.get("retries").asInt());
            assertEquals(asked[0] + asked[1] + asked[2], server.requestCount());
            assertTrue(rejected > 0, "the comparison prompts outgrow the judge's 512-token context: " + j);
            assertTrue(j.get("firstRejection").asText().contains("HTTP 400") && j.get("firstRejection").asText().contains("context"), j.toString());

            // per cell: the unreadable verdicts add up to the kind's count; ASR from parsed verdicts only
            int cellUnreadable = 0;
            for (JsonNode cell : rep.get("cells")) {
                int bad = cell.get("judgeUnreadable").asInt();
                cellUnreadable += bad;
                JsonNode asr = cell.get("attackSuccessJudge");
                if (bad == cell.get("prompts").asInt()) {
                    assertTrue(asr.isNull() || asr.asText().equals("NaN"), "no parsed verdict, no judge ASR: " + cell);
                } else {
                    double a = asr.asDouble();
                    int parsed = cell.get("prompts").asInt() - bad;
                    assertEquals(Math.round(a * parsed), a * parsed, 1e-9, "a share of the parsed verdicts: " + cell);
                }
            }
            assertEquals(counts.get("HARM").get("unparseable").asInt(), cellUnreadable);

            // benign helpfulness: parsed + unparseable = asked per deployment; the rates come from parsed verdicts only
            int gradeBad = 0, compareBad = 0, compared = 0;
            for (JsonNode b : rep.get("benign")) {
                assertEquals(2, b.get("judged").asInt() + b.get("gradeUnparseable").asInt(), b.toString());
                assertEquals(b.get("judged").asInt() == 0, b.get("judgeScore").isNull(), b.toString());
                gradeBad += b.get("gradeUnparseable").asInt();
                int n = b.get("compared").asInt();
                compared += n;
                compareBad += b.get("compareUnparseable").asInt();
                if (b.get("arm").asText().equals("original")) {
                    assertEquals(0, n + b.get("compareUnparseable").asInt(), "the original is not compared with itself");
                } else {
                    assertEquals(2, n + b.get("compareUnparseable").asInt(), b.toString());
                }
                if (n == 0) {
                    assertTrue(b.get("winRateVsOriginal").isNull(), "garbage verdicts are no wins and no losses: " + b);
                } else {
                    double w = b.get("winRateVsOriginal").asDouble() * n;
                    assertEquals(Math.round(w), w, 1e-9, b.toString());
                }
            }
            assertEquals(counts.get("GRADE").get("unparseable").asInt(), gradeBad);
            assertEquals(counts.get("PAIRWISE").get("unparseable").asInt(), compareBad);
            assertEquals(counts.get("PAIRWISE").get("parsed").asInt(), compared);

            String note = "judge: stories260K, asked as 'tiny-judge' at " + url + "/chat/completions; " + unparseable + " of "
                    + (asked[0] + asked[1] + asked[2]) + " verdicts unparseable";
            assertTrue(rep.get("notes").toString().contains(note), rep.get("notes").toString());
            String html = Files.readString(dir.resolve("jb.html"));
            assertTrue(html.contains("Judge verdicts (stories260K") && html.contains("unparseable"), html);
        }
    }
}
