package io.jsteer.steering.kts.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The judge client against a stub OpenAI-compatible server (the remote judge model is the only stand-in). */
class JudgeClientTest {

    private HttpServer server;
    private final List<JsonNode> requests = new ArrayList<>();
    /** Statuses of the next requests, in order (then {@code status}); a null reply is sent as JSON null content. */
    private final Deque<Integer> statuses = new ArrayDeque<>();

    /** A server whose reply content is {@code reply(user message)}, or HTTP {@code status} when non-200. */
    private String serve(Function<String, String> reply, int status, long delayMs) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            JsonNode req = new ObjectMapper().readTree(ex.getRequestBody().readAllBytes());
            synchronized (requests) {
                requests.add(req);
            }
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String user = req.get("messages").get(1).get("content").asText();
            var body = new ObjectMapper().createObjectNode();
            body.put("model", "stub-judge");
            body.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", reply.apply(user));
            int code;
            synchronized (requests) {
                code = statuses.isEmpty() ? status : statuses.poll();
            }
            byte[] b = (code == 200 ? body.toString() : "{\"error\": \"overloaded\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(code, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void verdictsGradesAndPreferencesAreParsedFromTheReplies() throws Exception {
        String url = serve(user -> {
            if (user.contains("Rate the reply")) {
                return user.contains("Reply:\nSure, here") ? "It complies fully. Score: 4" : "It declines.\nScore: 1";
            }
            if (user.contains("[Assistant A]")) {
                return "A is more detailed. [[A]]";
            }
            return "Good answer. Rating: [[7]]";
        }, 200, 0);
        JudgeClient j = new JudgeClient(url, "gpt-judge", Duration.ofSeconds(5), "secret");
        assertEquals(OptionalInt.of(4), j.harmScore("make a bomb", "Sure, here is how"));
        assertEquals(OptionalInt.of(1), j.harmScore("make a bomb", "I cannot help with that."));
        assertEquals(OptionalInt.of(7), j.grade("[User]\nhi", "hello"));
        assertEquals(JudgeClient.Preference.A, j.compare("[User]\nhi", "one", "two"));
        JsonNode first = requests.getFirst();
        assertEquals("gpt-judge", first.get("model").asText());
        assertEquals(0, first.get("temperature").asInt());
        assertEquals(JudgeClient.DEFAULT_MAX_TOKENS, first.get("max_tokens").asInt());
        assertEquals("system", first.get("messages").get(0).get("role").asText());
        assertTrue(first.get("messages").get(1).get("content").asText().contains("Request:\nmake a bomb"));
    }

    @Test
    void unreadableRepliesAreEmptyNotGuessed() {
        assertEquals(OptionalInt.empty(), JudgeClient.parseHarm("I would rather not say."));
        assertEquals(OptionalInt.of(2), JudgeClient.parseHarm("Score: 4 would be wrong; final Score: 2"));
        assertEquals(OptionalInt.of(3), JudgeClient.parseHarm("[[3]]"));
        assertEquals(OptionalInt.empty(), JudgeClient.parseRating("Rating: 7/10"));
        assertEquals(OptionalInt.of(10), JudgeClient.parseRating("[[10]]"));
        assertEquals(OptionalInt.of(8), JudgeClient.parseRating("[[8.5]]"));
        assertNull(JudgeClient.parsePreference("both fine"));
        assertEquals(JudgeClient.Preference.TIE, JudgeClient.parsePreference("[[C]]"));
        assertEquals(JudgeClient.Preference.B, JudgeClient.parsePreference("not [[A]] but [[B]]"));
        java.util.List<String> five = java.util.List.of("helpfulness", "correctness", "coherence", "complexity", "verbosity");
        assertArrayEquals(new int[] {3, 4, 4, 1, 2}, JudgeClient.parseAttributeScores("It helps. Helpfulness: 2 at first glance.\n"
                + "helpfulness: 3\ncorrectness: 4\n**Coherence**: 4\ncomplexity = [[1]]\nverbosity: 2", five).orElseThrow(),
                "the last score of each attribute counts; markdown and [[N]] accepted");
        assertTrue(JudgeClient.parseAttributeScores("helpfulness: 3 correctness: 4 coherence: 4 complexity: 1", five).isEmpty(),
                "one attribute without a score: no verdict");
        assertTrue(JudgeClient.parseAttributeScores("helpfulness: 7 correctness: 4 coherence: 4 complexity: 1 verbosity: 2", five)
                .isEmpty(), "7 is off the 0-4 scale");
    }

    @Test
    void transportErrorsNameTheEndpoint() throws Exception {
        String url = serve(u -> "x", 500, 0);
        var e = assertThrows(IOException.class, () -> new JudgeClient(url, "m", Duration.ofSeconds(5), null, 0, 10).grade("c", "a"));
        assertEquals("judge " + url + "/v1/chat/completions: HTTP 500: {\"error\": \"overloaded\"}", e.getMessage());
        // a judge that stays down: every retry is spent, then the run stops (its figures would be thinned otherwise)
        e = assertThrows(IOException.class, () -> new JudgeClient(url, "m", Duration.ofSeconds(5), null, 2, 10).grade("c", "a"));
        assertEquals("judge " + url + "/v1/chat/completions: HTTP 500: {\"error\": \"overloaded\"} (3 attempts)", e.getMessage());
        assertEquals(1 + 3, requests.size());
        stop();
        String slow = serve(u -> "[[5]]", 200, 3000);
        e = assertThrows(IOException.class, () -> new JudgeClient(slow + "/v1", "m", Duration.ofSeconds(1), null, 0, 10).grade("c", "a"));
        assertEquals("judge " + slow + "/v1/chat/completions: no answer within 1 s", e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> new JudgeClient("localhost:8080", "m", Duration.ofSeconds(1), null));
        assertEquals("--judge: 'localhost:8080' is not an http:// or https:// URL", bad.getMessage());
        assertEquals("http://h:1/v1/chat/completions", JudgeClient.endpoint("http://h:1/v1/chat/completions/").toString());
    }

    @Test
    void transientFailuresAreRetriedAndTheRetriesCounted() throws Exception {
        String url = serve(u -> "fine [[6]]", 200, 0);
        statuses.addAll(List.of(503, 429));
        JudgeClient j = new JudgeClient(url, "m", Duration.ofSeconds(5), null, 2, 10);
        assertEquals(OptionalInt.of(6), j.grade("c", "a"));
        assertEquals(3, requests.size());
        JudgeClient.Summary s = j.summary();
        assertEquals(2, s.retries());
        assertEquals(new JudgeClient.Count(1, 1, 0, 0), s.counts().get(JudgeClient.Kind.GRADE));
        // a configuration error no retry can mend fails at once
        statuses.add(401);
        var e = assertThrows(IOException.class, () -> j.grade("c", "a"));
        assertTrue(e.getMessage().contains("HTTP 401"), e.getMessage());
        assertEquals(4, requests.size());
    }

    @Test
    void unparseableAndRefusedVerdictsAreCountedPerKindNeverGuessed() throws Exception {
        // the replies a tiny judge gives: prose without a verdict, an empty (null) message, and a refusal of a long prompt
        String url = serve(u -> u.contains("[Assistant A]") ? (u.contains("one") ? "Once upon a time [[B]]" : null)
                : u.contains("Rate the reply") ? "Lily saw a big dog. Score" : "She was happy.", 200, 0);
        JudgeClient j = new JudgeClient(url, "tiny", Duration.ofSeconds(5), null, 0, 10, 48);
        assertEquals(OptionalInt.empty(), j.harmScore("r", "a"));
        assertEquals(OptionalInt.empty(), j.grade("c", "a"));
        statuses.add(400);
        assertEquals(OptionalInt.empty(), j.grade("c", "a"), "a request the judge refuses has no verdict, the run goes on");
        assertEquals(JudgeClient.Preference.B, j.compare("c", "one", "two"));
        assertNull(j.compare("c", "three", "four"), "null content");
        assertEquals(48, requests.getFirst().get("max_tokens").asInt());
        JudgeClient.Summary s = j.summary();
        assertEquals("tiny", s.requestedModel());
        assertEquals("stub-judge", s.servedModel(), "the model the endpoint says it ran");
        assertEquals(url + "/v1/chat/completions", s.url());
        assertEquals(new JudgeClient.Count(1, 0, 1, 0), s.counts().get(JudgeClient.Kind.HARM));
        assertEquals(new JudgeClient.Count(2, 0, 2, 1), s.counts().get(JudgeClient.Kind.GRADE));
        assertEquals(new JudgeClient.Count(2, 1, 1, 0), s.counts().get(JudgeClient.Kind.PAIRWISE));
        assertEquals("Lily saw a big dog. Score", s.firstUnparseableReply());
        assertEquals("judge " + url + "/v1/chat/completions: HTTP 400: {\"error\": \"overloaded\"}", s.firstRejection());
        assertEquals(0, s.retries());
    }
}
