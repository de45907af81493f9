package io.jsteer.steering.kts.experiments;

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
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The judge client against a stub OpenAI-compatible server (the remote judge model is the only stand-in). */
class JudgeClientTest {

    private HttpServer server;
    private final List<JsonNode> requests = new ArrayList<>();

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
            body.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", reply.apply(user));
            byte[] b = (status == 200 ? body.toString() : "{\"error\": \"overloaded\"}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, b.length);
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
    }

    @Test
    void transportErrorsNameTheEndpoint() throws Exception {
        String url = serve(u -> "x", 500, 0);
        var e = assertThrows(IOException.class, () -> new JudgeClient(url, "m", Duration.ofSeconds(5), null).grade("c", "a"));
        assertEquals("judge " + url + "/v1/chat/completions: HTTP 500: {\"error\": \"overloaded\"}", e.getMessage());
        stop();
        String slow = serve(u -> "[[5]]", 200, 3000);
        e = assertThrows(IOException.class, () -> new JudgeClient(slow + "/v1", "m", Duration.ofSeconds(1), null).grade("c", "a"));
        assertEquals("judge " + slow + "/v1/chat/completions: no answer within 1 s", e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> new JudgeClient("localhost:8080", "m", Duration.ofSeconds(1), null));
        assertEquals("--judge: 'localhost:8080' is not an http:// or https:// URL", bad.getMessage());
        assertEquals("http://h:1/v1/chat/completions", JudgeClient.endpoint("http://h:1/v1/chat/completions/").toString());
    }
}
