package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.Sampler;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.Parallel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP API against stories260K: outputs equal the engine's, errors are 4xx with the field named. */
class OpenAiServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static LoadedModel model;
    private static GenerationService service;
    private static OpenAiServer server;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A test resolver: vector "push" adds strength × e_0..e_7 at resid_post of the given layers (default 3). */
    static InterventionSet resolve(List<SteerSpec> specs) {
        return push(model, specs);
    }

    /**
     * The "push" resolver for {@code m}: strength S adds S to each of the first 8 values of the
     * residual stream after block 3 (or {@code @L}), at every position.
     */
    static InterventionSet push(LoadedModel m, List<SteerSpec> specs) {
        if (specs.isEmpty()) {
            return null;
        }
        List<io.jsteer.model.intervene.Intervention> items = new java.util.ArrayList<>();
        for (SteerSpec s : specs) {
            if (!s.vector().equals("push")) {
                throw new IllegalArgumentException("no vector set named '" + s.vector() + "'");
            }
            int layer = s.layers() == null ? 3 : Integer.parseInt(s.layers());
            items.add(pushAt(m, layer, s.strength()));
        }
        return new InterventionSet(items);
    }

    /** S added to each of the first 8 values of resid_post:layer at every position. */
    static io.jsteer.model.intervene.AddVector pushAt(LoadedModel m, int layer, double strength) {
        float[] ones = new float[m.config().dim()];
        java.util.Arrays.fill(ones, 0, 8, 1f);
        return io.jsteer.model.intervene.AddVector.of(new Site(SiteKind.RESID_POST, layer), ones, strength,
                io.jsteer.model.intervene.Positions.ALL);
    }

    @BeforeAll
    static void start() {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        assertTrue(Files.exists(shared.resolve("models/stories260K.gguf")), "missing shared models under " + shared);
        model = ModelLoader.load(shared.resolve("models/stories260K.gguf"), null);
        service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                OpenAiServerTest::resolve, List.of(), 2, 1, 256);
        server = new OpenAiServer(service, 64).start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        service.close();
        model.close();
    }

    record Reply(int status, String body) {
        JsonNode json() throws Exception { return JSON.readTree(body); }
    }

    static Reply post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    static Reply get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** Greedy text straight from an engine, without the server. */
    static String direct(String prompt, int maxTokens, InterventionSet steering) {
        try (Parallel par = new Parallel(1); CpuEngine e = model.newCpuEngine(256, par)) {
            e.setInterventions(steering);
            var tok = model.tokenizer();
            var r = new Generator(e).generate(tok.encode(prompt, true), maxTokens, Sampler.greedy(),
                    t -> t == tok.eos() || t == tok.bos(), (a, b) -> {});
            StringBuilder sb = new StringBuilder();
            var d = tok.newDecoder();
            for (int id : r.generated()) {
                sb.append(d.accept(id));
            }
            return sb.append(d.flush()).toString();
        }
    }

    @Test
    void completionEqualsTheEnginesGreedyText() throws Exception {
        Reply r = post("/v1/completions", "{\"model\": \"stories260K\", \"prompt\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0}");
        assertEquals(200, r.status(), r.body());
        JsonNode j = r.json();
        assertEquals("text_completion", j.get("object").asText());
        assertEquals(direct("Once upon a time", 30, null), j.at("/choices/0/text").asText());
        assertEquals("length", j.at("/choices/0/finish_reason").asText());
        assertEquals(30, j.at("/usage/completion_tokens").asInt());
        assertEquals(model.tokenizer().encode("Once upon a time", true).length, j.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void streamedChunksAddUpToTheWholeCompletion() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a story\"}], \"max_tokens\": 25, \"temperature\": 0%s}";
        Reply whole = post("/v1/chat/completions", body.formatted(""));
        assertEquals(200, whole.status(), whole.body());
        String expected = whole.json().at("/choices/0/message/content").asText();
        assertFalse(expected.isEmpty());

        Reply stream = post("/v1/chat/completions", body.formatted(", \"stream\": true"));
        assertEquals(200, stream.status());
        StringBuilder got = new StringBuilder();
        String finish = null;
        List<String> events = stream.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertEquals("[DONE]", events.getLast());
        assertEquals("assistant", JSON.readTree(events.getFirst()).at("/choices/0/delta/role").asText());
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode c = JSON.readTree(e);
            assertEquals("chat.completion.chunk", c.get("object").asText());
            got.append(c.at("/choices/0/delta/content").asText(""));
            if (!c.at("/choices/0/finish_reason").isNull()) {
                finish = c.at("/choices/0/finish_reason").asText();
            }
        }
        assertEquals(expected, got.toString());
        assertEquals(whole.json().at("/choices/0/finish_reason").asText(), finish);
    }

    @Test
    void stopStringsCutTheTextAndReportStop() throws Exception {
        String full = direct("Once upon a time", 40, null);
        int cut = full.indexOf(' ', 10);
        String stop = full.substring(cut, cut + 3);
        Reply r = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 40, \"temperature\": 0, \"stop\": "
                + JSON.writeValueAsString(stop) + "}");
        assertEquals(200, r.status(), r.body());
        assertEquals(full.substring(0, full.indexOf(stop)), r.json().at("/choices/0/text").asText());
        assertEquals("stop", r.json().at("/choices/0/finish_reason").asText());
    }

    @Test
    void steeringPerRequestChangesTheTextAndMatchesTheEngineWithTheSameHooks() throws Exception {
        String plain = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0}")
                .json().at("/choices/0/text").asText();
        Reply steered = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0, "
                + "\"steering\": [{\"vector\": \"push\", \"strength\": 3.0, \"layers\": \"2\"}]}");
        assertEquals(200, steered.status(), steered.body());
        String text = steered.json().at("/choices/0/text").asText();
        assertNotEquals(plain, text);
        assertEquals(direct("Once upon a time", 30, resolve(List.of(new SteerSpec("push", 3f, "2", null)))), text);
        // the command-line form works too, and the next plain request is unsteered again
        Reply cliForm = post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0, "
                + "\"steering\": [\"push:3@2\"]}");
        assertEquals(text, cliForm.json().at("/choices/0/text").asText());
        assertEquals(plain, post("/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 30, \"temperature\": 0}")
                .json().at("/choices/0/text").asText());
    }

    @Test
    void badRequestsGetFourHundredsNamingTheField() throws Exception {
        assertError(post("/v1/completions", "{\"prompt\": \"x\", "), 400, null, "not valid JSON");
        assertError(post("/v1/completions", "[1, 2]"), 400, null, "JSON object");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": \"hot\"}"), 400, "temperature", "between 0");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": -5}"), 400, "max_tokens", "between 0");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"n\": 17}"), 400, "n", "between 1 and 16");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"n\": -1}"), 400, "n", "between 1 and 16");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 1e40}"), 400, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 99999999999999999999}"), 400, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"top_k\": -3}"), 400, "top_k", "between 0");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"min_p\": 2}"), 400, "min_p", "between 0");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"presence_penalty\": 3}"), 400, "presence_penalty", "between -2");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"frequency_penalty\": \"high\"}"), 400, "frequency_penalty", "number");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"repeat_penalty\": 0}"), 400, "repeat_penalty", "greater than 0");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"repeat_last_n\": -7}"), 400, "repeat_last_n", "between -1");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"logit_bias\": {\"512\": 5}}"), 400, "logit_bias", "vocabulary");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"logit_bias\": {\"abc\": 5}}"), 400, "logit_bias", "not a token id");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"logit_bias\": {\"5\": 500}}"), 400, "logit_bias", "between -100");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"logit_bias\": [1]}"), 400, "logit_bias", "object");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"seed\": 1.5}"), 400, "seed", "integer");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"logprobs\": 21}"), 400, "logprobs", "between 0 and 20");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_logprobs\": 2}"),
                400, "top_logprobs", "needs");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"stream_options\": {\"include_usage\": true}}"), 400,
                "stream_options", "stream");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"stream\": true, \"stream_options\": {\"include_usage\": 1}}"),
                400, "stream_options.include_usage", "true or false");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]}"), 400, "tools", "not supported");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"response_format\": {\"type\": \"json_object\"}}"), 400, "response_format", "not supported");
        assertError(post("/v1/completions", "{\"prompt\": \"x\"} {\"prompt\": \"y\"}"), 400, null, "something follows the JSON object");
        assertError(post("/v1/completions", "{\"prompt\": \"x\"} garbage"), 400, null, "not valid JSON");
        assertError(post("/v1/completions", "[".repeat(100_000) + "]".repeat(100_000)), 400, null, "nesting depth");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"a\": " + "{\"b\": ".repeat(70) + "1" + "}".repeat(71)), 400,
                null, "nesting depth");
        assertError(post("/v1/completions", "{\"prompt\": 42}"), 400, "prompt", "string");
        assertError(post("/v1/chat/completions", "{\"messages\": []}"), 400, "messages", "non-empty");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}"), 400,
                "messages[0].role", "robot");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"model\": 7}"), 400, "model", "string");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"steering\": [{\"vector\": \"nope\"}]}"), 400, "steering", "nope");
        assertError(post("/v1/completions", "{\"prompt\": \"x\", \"steering\": [\"push:strong\"]}"), 400, "steering[0]", "strong");
        assertError(post("/v1/completions", "{\"prompt\": \"" + "word ".repeat(400) + "\"}"), 400, "prompt", "context holds 256");
        assertError(post("/v1/nothing", "{}"), 404, null, "no such endpoint");
        assertError(post("/v1/completions", "{\"prompt\": \"" + "a".repeat((int) OpenAiServer.MAX_BODY_BYTES) + "\"}"), 413, null, "larger");
        // the server still answers after all of that
        assertEquals(200, get("/health").status());
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        Reply r = get("/v1/models");
        assertEquals(200, r.status());
        assertEquals("stories260K", r.json().at("/data/0/id").asText());
    }

    @Test
    void aDirectoryResolverServesOnlyTheSetsInItsDirectory(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        var vectors = new java.util.TreeMap<Integer, float[]>();
        float[] v = new float[64];
        v[3] = 1f;
        vectors.put(2, v);
        io.jsteer.steering.vectors.VectorSetFiles.write(dir.resolve("happy"), new io.jsteer.steering.vectors.VectorSet(
                SiteKind.RESID_POST, vectors, io.jsteer.steering.vectors.Provenance.of("stories260K", "", "test", "LAST", List.of())));
        VectorSteering r = VectorSteering.directory(model.config(), dir);
        assertEquals(List.of("happy"), VectorSteering.names(dir));
        Hooks hooks = r.resolve(List.of(SteerSpec.parse("happy:2.5@2"))).toHooks(model.config());
        float[] x = new float[64];
        hooks.run(SiteKind.RESID_POST, 2, 0, true, x);
        assertEquals(2.5f, x[3], 0f);
        assertEquals(0f, x[4], 0f);
        for (String bad : List.of("../happy", "/etc/passwd", ".hidden", "sad")) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> r.resolve(List.of(new SteerSpec(bad, 1f, null, null))));
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> r.resolve(List.of(SteerSpec.parse("happy@3"))));
        assertTrue(e.getMessage().contains("has no vector for layer(s) [3]"), e.getMessage());
    }

    private static void assertError(Reply r, int status, String param, String messagePart) throws Exception {
        assertEquals(status, r.status(), r.body());
        JsonNode err = r.json().get("error");
        assertTrue(err.get("message").asText().contains(messagePart), r.body());
        if (param == null) {
            assertTrue(err.get("param").isNull(), r.body());
        } else {
            assertEquals(param, err.get("param").asText(), r.body());
        }
    }
}
