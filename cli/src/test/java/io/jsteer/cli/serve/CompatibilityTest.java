package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.tensor.Parallel;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's compatibility items over real HTTP against stories260K: any model name, every
 * sampling parameter reaching the sampler (server output = engine + the same sampler), n choices,
 * log-probabilities, include_usage, tokenize/detokenize, embeddings, activations, metrics.
 */
class CompatibilityTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String PROMPT = "Once upon a time";
    private static LoadedModel model;
    private static GenerationService service;
    private static OpenAiServer server;

    @BeforeAll
    static void start() {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        assertTrue(Files.exists(shared.resolve("models/stories260K.gguf")), "missing shared models under " + shared);
        model = ModelLoader.load(shared.resolve("models/stories260K.gguf"), null);
        service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null), SteeringResolver.none(),
                List.of(), 2, 1, 256);
        server = new OpenAiServer(service, 64, line -> {}, new ServerOptions("my-model", List.of(), List.of(), 1024))
                .start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        service.close();
        model.close();
    }

    record Reply(int status, String body, HttpResponse<String> response) {
        JsonNode json() throws Exception { return JSON.readTree(body); }
    }

    static Reply send(HttpRequest.Builder b) throws Exception {
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r);
    }

    static HttpRequest.Builder at(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    }

    static Reply post(String path, String body) throws Exception {
        return send(at(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static JsonNode ok(String path, String body) throws Exception {
        Reply r = post(path, body);
        assertEquals(200, r.status(), r.body());
        return r.json();
    }

    /** The engine and a sampler with {@code params}, seeded and primed as the server does, without HTTP. */
    static String direct(String prompt, int maxTokens, Sampler.Params params, long seed) {
        try (Parallel par = new Parallel(1); CpuEngine e = model.newCpuEngine(256, par)) {
            var tok = model.tokenizer();
            int[] ids = tok.encode(prompt, true);
            Sampler s = new Sampler(params, seed);
            s.prime(ids);
            var r = new Generator(e).generate(ids, maxTokens, s, t -> t == tok.eos() || t == tok.bos(), (a, b) -> {});
            StringBuilder sb = new StringBuilder();
            var d = tok.newDecoder();
            for (int id : r.generated()) {
                sb.append(d.accept(id));
            }
            return sb.append(d.flush()).toString();
        }
    }

    static String text(JsonNode completion) {
        return completion.at("/choices/0/text").asText();
    }

    @Test
    void anyModelNameIsServedAndTheAliasIsReported() throws Exception {
        JsonNode r = ok("/v1/chat/completions", "{\"model\": \"gpt-3.5-turbo\", \"messages\": [{\"role\": \"user\", "
                + "\"content\": \"Hello\"}], \"max_tokens\": 3}");
        assertEquals("my-model", r.get("model").asText());
        assertEquals("my-model", send(at("/v1/models").GET()).json().at("/data/0/id").asText());
        Reply one = send(at("/v1/models/my-model").GET());
        assertEquals(200, one.status(), one.body());
        assertEquals("model", one.json().get("object").asText());
        assertEquals(200, send(at("/v1/models/stories260K").GET()).status()); // the file's own name too
        Reply other = send(at("/v1/models/gpt-4").GET());
        assertEquals(404, other.status(), other.body());
        assertEquals("model", other.json().at("/error/param").asText());
    }

    @Test
    void everyLengthFieldIsHonoured() throws Exception {
        assertEquals(5, ok("/v1/completions", "{\"prompt\": \"Once\", \"n_predict\": 5, \"temperature\": 0}").at("/usage/completion_tokens").asInt());
        assertEquals(3, ok("/v1/completions", "{\"prompt\": \"Once\", \"max_completion_tokens\": 3, \"max_tokens\": 9, "
                + "\"temperature\": 0}").at("/usage/completion_tokens").asInt());
        assertEquals(9, ok("/v1/completions", "{\"prompt\": \"Once\", \"max_tokens\": 9, \"temperature\": 0}").at("/usage/completion_tokens").asInt());
        // n_predict −1 (llama-server: no limit) runs to the context's end or a stop token, never 64 (the server default)
        int all = ok("/v1/completions", "{\"prompt\": \"Once\", \"n_predict\": -1, \"temperature\": 0}").at("/usage/completion_tokens").asInt();
        assertNotEquals(64, all);
    }

    @Test
    void everySamplingParameterReachesTheSampler() throws Exception {
        // the server's text equals the engine with a sampler of the same settings: nothing is dropped on the way
        String body = "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 40, \"temperature\": 0.9, \"top_p\": 0.95, \"top_k\": 40, "
                + "\"min_p\": 0.02, \"repeat_penalty\": 1.3, \"presence_penalty\": 0.4, \"frequency_penalty\": 0.3, "
                + "\"repeat_last_n\": 16, \"logit_bias\": {\"%d\": -100}, \"seed\": %d}";
        int banned = model.tokenizer().encode(" the", false)[0];
        Sampler.Params params = Sampler.Params.DEFAULT.withTemperature(0.9f).withTopP(0.95f).withTopK(40).withMinP(0.02f)
                .withPenalties(1.3f, 0.4f, 0.3f, 16).withLogitBias(Map.of(banned, -100f));
        for (long seed : new long[] {1, 2, 3}) {
            String got = text(ok("/v1/completions", body.formatted(banned, seed)));
            assertEquals(direct(PROMPT, 40, params, seed), got, "seed " + seed);
        }
        // and each one changes the output on its own
        String greedy = text(ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 60, \"temperature\": 0}"));
        for (String change : List.of("\"repeat_penalty\": 1.5", "\"presence_penalty\": 1.5", "\"frequency_penalty\": 1.0",
                "\"logit_bias\": {\"" + banned + "\": -100}")) {
            String t = text(ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 60, \"temperature\": 0, " + change + "}"));
            assertNotEquals(greedy, t, change);
        }
        // top_k 1 and min_p 1 are greedy whatever the temperature
        assertEquals(greedy, text(ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 60, \"temperature\": 1.5, \"top_k\": 1, \"seed\": 9}")));
        assertEquals(greedy, text(ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 60, \"temperature\": 1.5, \"min_p\": 1, \"seed\": 9}")));
        // a seed repeats; another seed (almost surely) does not
        String s1 = text(ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 30, \"seed\": 77}"));
        assertEquals(s1, text(ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 30, \"seed\": 77}")));
        assertNotEquals(s1, text(ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 30, \"seed\": 78}")));
    }

    @Test
    void logitBiasOfAHundredForcesItsToken() throws Exception {
        int forced = model.tokenizer().encode(" cat", false)[0];
        JsonNode r = ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 6, \"temperature\": 1, \"seed\": 4, "
                + "\"logit_bias\": {\"" + forced + "\": 100}, \"logprobs\": 0}");
        JsonNode tokens = r.at("/choices/0/logprobs/tokens");
        assertEquals(6, tokens.size(), r.toString());
        String piece = new String(model.tokenizer().tokenBytes(forced), StandardCharsets.UTF_8);
        for (JsonNode t : tokens) {
            assertEquals(piece, t.asText());
        }
    }

    @Test
    void nChoicesEachAsASingleRequestWithItsSeedWouldGive() throws Exception {
        JsonNode r = ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 20, \"n\": 3, \"seed\": 10}");
        JsonNode choices = r.get("choices");
        assertEquals(3, choices.size());
        Set<String> texts = new HashSet<>();
        int tokens = 0;
        for (int i = 0; i < 3; i++) {
            assertEquals(i, choices.get(i).get("index").asInt());
            long seed = 10 + i * 0x9E3779B97F4A7C15L;
            // choices after the first reuse the prompt's cache; the text is the same as a fresh run with that seed
            assertEquals(direct(PROMPT, 20, Sampler.Params.DEFAULT, seed), choices.get(i).get("text").asText(), "choice " + i);
            texts.add(choices.get(i).get("text").asText());
            tokens += 20;
        }
        assertEquals(3, texts.size(), texts.toString());
        assertEquals(tokens, r.at("/usage/completion_tokens").asInt());
        assertEquals(model.tokenizer().encode(PROMPT, true).length, r.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void streamedChoicesAndUsageAddUpToTheWholeAnswer() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a story\"}], \"max_tokens\": 12, \"n\": 2, "
                + "\"seed\": 5%s}";
        JsonNode whole = ok("/v1/chat/completions", body.formatted(""));
        Reply stream = post("/v1/chat/completions", body.formatted(", \"stream\": true, \"stream_options\": {\"include_usage\": true}"));
        assertEquals(200, stream.status());
        List<String> events = stream.body().lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
        assertEquals("[DONE]", events.getLast());
        StringBuilder[] got = {new StringBuilder(), new StringBuilder()};
        for (String e : events.subList(0, events.size() - 2)) {
            JsonNode c = JSON.readTree(e);
            int i = c.at("/choices/0/index").asInt();
            got[i].append(c.at("/choices/0/delta/content").asText(""));
        }
        for (int i = 0; i < 2; i++) {
            assertEquals(whole.at("/choices/" + i + "/message/content").asText(), got[i].toString(), "choice " + i);
        }
        JsonNode usage = JSON.readTree(events.get(events.size() - 2));
        assertEquals(0, usage.get("choices").size(), usage.toString());
        assertEquals(whole.get("usage"), usage.get("usage"));
        // without include_usage no chunk carries usage
        Reply plain = post("/v1/chat/completions", body.formatted(", \"stream\": true"));
        assertFalse(plain.body().contains("\"usage\""), plain.body());
    }

    @Test
    void chatLogprobsAreTheModelsLogSoftmaxAndStreamTheSame() throws Exception {
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 8, \"temperature\": 0, "
                + "\"logprobs\": true, \"top_logprobs\": 3%s}";
        JsonNode r = ok("/v1/chat/completions", body.formatted(""));
        JsonNode content = r.at("/choices/0/logprobs/content");
        assertEquals(r.at("/usage/completion_tokens").asInt(), content.size(), r.toString());
        StringBuilder joined = new StringBuilder();
        for (JsonNode t : content) {
            JsonNode top = t.get("top_logprobs");
            assertEquals(3, top.size());
            assertEquals(top.get(0).get("token").asText(), t.get("token").asText()); // greedy: the most probable one
            assertEquals(top.get(0).get("logprob").asDouble(), t.get("logprob").asDouble(), 0);
            assertTrue(top.get(0).get("logprob").asDouble() >= top.get(1).get("logprob").asDouble());
            assertTrue(top.get(1).get("logprob").asDouble() >= top.get(2).get("logprob").asDouble());
            assertTrue(t.get("logprob").asDouble() <= 0);
            byte[] bytes = new byte[t.get("bytes").size()];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) t.get("bytes").get(i).asInt();
            assertEquals(t.get("token").asText(), new String(bytes, StandardCharsets.UTF_8));
            joined.append(t.get("token").asText());
        }
        String text = r.at("/choices/0/message/content").asText();
        assertTrue(joined.toString().strip().equals(text.strip()), joined + " vs " + text);
        // the first token's log-probability against the engine's own logits after the chat prompt
        ChatTemplate tpl = ChatTemplate.forTokenizer(model.tokenizer(), null);
        int[] prompt = tpl.encode(List.of(new io.jsteer.model.chat.Message("user", "Hi")), true);
        try (Parallel par = new Parallel(1); CpuEngine e = model.newCpuEngine(256, par)) {
            float[] logits = e.prefill(prompt, 0);
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (float l : logits) max = Math.max(max, l);
            for (float l : logits) z += Math.exp(l - max);
            int best = Sampler.argmax(logits, logits.length);
            assertEquals(logits[best] - max - Math.log(z), content.get(0).get("logprob").asDouble(), 1e-4);
        }
        // streamed: the same entries, spread over the chunks
        Reply stream = post("/v1/chat/completions", body.formatted(", \"stream\": true"));
        List<JsonNode> streamed = new ArrayList<>();
        for (String l : stream.body().lines().filter(l -> l.startsWith("data: {")).toList()) {
            JsonNode c = JSON.readTree(l.substring(6)).at("/choices/0/logprobs/content");
            c.forEach(streamed::add);
        }
        assertEquals(content.size(), streamed.size(), stream.body());
        for (int i = 0; i < streamed.size(); i++) {
            assertEquals(content.get(i), streamed.get(i));
        }
    }

    @Test
    void completionLogprobsHaveTheLegacyShape() throws Exception {
        JsonNode r = ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 6, \"temperature\": 0, \"logprobs\": 2}");
        JsonNode lp = r.at("/choices/0/logprobs");
        assertEquals(6, lp.get("tokens").size());
        assertEquals(6, lp.get("token_logprobs").size());
        assertEquals(6, lp.get("top_logprobs").size());
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            assertEquals(joined.length(), lp.get("text_offset").get(i).asInt());
            joined.append(lp.get("tokens").get(i).asText());
            JsonNode top = lp.get("top_logprobs").get(i);
            assertEquals(2, top.size());
            assertEquals(top.get(lp.get("tokens").get(i).asText()).asDouble(), lp.get("token_logprobs").get(i).asDouble(), 0);
        }
        assertEquals(text(r), joined.toString());
        assertTrue(r.at("/choices/0/logprobs").isObject());
        assertTrue(ok("/v1/completions", "{\"prompt\": \"x\", \"max_tokens\": 2}").at("/choices/0/logprobs").isNull());
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws Exception {
        JsonNode t = ok("/tokenize", "{\"content\": \"Once upon a time\"}");
        int[] ids = new int[t.get("tokens").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = t.get("tokens").get(i).asInt();
        assertArrayEquals(model.tokenizer().encode("Once upon a time", false), ids);
        assertEquals(model.tokenizer().bos(), ok("/tokenize", "{\"content\": \"Once\", \"add_special\": true}").at("/tokens/0").asInt());
        JsonNode pieces = ok("/tokenize", "{\"content\": \"Once\", \"with_pieces\": true}");
        assertEquals(ids[0], pieces.at("/tokens/0/id").asInt());
        assertEquals("Once upon a time", ok("/detokenize", "{\"tokens\": " + JSON.writeValueAsString(ids) + "}").get("content").asText());
        Reply bad = post("/detokenize", "{\"tokens\": [1, 99999]}");
        assertEquals(400, bad.status());
        assertEquals("tokens[1]", bad.json().at("/error/param").asText());
        assertEquals("content", post("/tokenize", "{\"content\": 5}").json().at("/error/param").asText());
    }

    /** resid_post of the last block at every position, from the engine directly. */
    static float[][] lastBlock(int[] ids) {
        int layers = model.config().nLayers();
        float[][] out = new float[ids.length][];
        try (Parallel par = new Parallel(1); CpuEngine e = model.newCpuEngine(256, par)) {
            e.setHooks(new Hooks(layers).add(new Site(SiteKind.RESID_POST, layers - 1), (s, pos, in, x) -> out[pos] = x.clone()));
            e.prefill(ids, 0);
        }
        return out;
    }

    @Test
    void embeddingsAreTheNormalisedMeanOfTheLastBlocksResidualStream() throws Exception {
        JsonNode r = ok("/v1/embeddings", "{\"model\": \"text-embedding-3-small\", \"input\": [\"Once upon a time\", \"The cat sat\"]}");
        assertEquals(2, r.get("data").size());
        for (int k = 0; k < 2; k++) {
            String input = k == 0 ? "Once upon a time" : "The cat sat";
            int[] ids = model.tokenizer().encode(input, true);
            float[][] states = lastBlock(ids);
            double[] mean = new double[model.config().dim()];
            for (int t = 1; t < ids.length; t++) { // BOS left out
                for (int j = 0; j < mean.length; j++) mean[j] += states[t][j] / (ids.length - 1);
            }
            double norm = 0;
            for (double v : mean) norm += v * v;
            norm = Math.sqrt(norm);
            JsonNode emb = r.at("/data/" + k + "/embedding");
            assertEquals(mean.length, emb.size());
            for (int j = 0; j < mean.length; j++) {
                assertEquals(mean[j] / norm, emb.get(j).asDouble(), 1e-5, "input " + k + " dim " + j);
            }
        }
        assertEquals(model.tokenizer().encode("Once upon a time", true).length + model.tokenizer().encode("The cat sat", true).length,
                r.at("/usage/prompt_tokens").asInt());
        // base64 (what OpenAI's Python client asks for) carries the same floats, little-endian
        JsonNode b = ok("/v1/embeddings", "{\"input\": \"Once upon a time\", \"encoding_format\": \"base64\"}");
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b.at("/data/0/embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < model.config().dim(); j++) {
            float f = bytes.getFloat(); // JSON text → double → float may round once more: one ulp apart at most
            assertEquals(r.at("/data/0/embedding/" + j).floatValue(), f, Math.ulp(f));
        }
        // last-token pooling without normalising is the raw state
        int[] ids = model.tokenizer().encode("The cat sat", true);
        JsonNode last = ok("/v1/embeddings", "{\"input\": \"The cat sat\", \"pooling\": \"last\", \"normalize\": false}");
        assertEquals(lastBlock(ids)[ids.length - 1][7], last.at("/data/0/embedding/7").floatValue(), 0f);
        assertEquals("site", post("/v1/embeddings", "{\"input\": \"x\", \"site\": \"resid_post:99\"}").json().at("/error/param").asText());
        assertEquals("input", post("/v1/embeddings", "{\"input\": []}").json().at("/error/param").asText());
    }

    @Test
    void activationsAreWhatTheResidualReaderSees() throws Exception {
        int[] ids = model.tokenizer().encode("The cat sat", true);
        JsonNode r = ok("/v1/activations", "{\"input\": \"The cat sat\", \"site\": \"resid_post\", \"layers\": \"1,3\"}");
        float[][] expected;
        try (Parallel par = new Parallel(1); CpuEngine e = model.newCpuEngine(256, par)) {
            expected = ActivationCapture.residuals(e).lastToken(ids);
        }
        JsonNode acts = r.at("/data/0/activations");
        assertEquals(Set.of("resid_post:1", "resid_post:3"), new HashSet<>(iterable(acts.fieldNames())));
        for (int layer : new int[] {1, 3}) {
            for (int j = 0; j < model.config().dim(); j++) {
                assertEquals(expected[layer][j], acts.get("resid_post:" + layer).get(j).floatValue(), 0f);
            }
        }
        JsonNode none = ok("/v1/activations", "{\"input\": [\"The cat sat\"], \"layers\": \"4\", \"pooling\": \"none\"}");
        assertEquals(ids.length, none.at("/data/0/activations/resid_post:4").size());
        assertEquals(lastBlock(ids)[2][5], none.at("/data/0/activations/resid_post:4/2/5").floatValue(), 0f);
        assertEquals("layers", post("/v1/activations", "{\"input\": \"x\", \"layers\": \"0-2147483647\"}").json().at("/error/param").asText());
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    private static double metric(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " missing from\n" + text));
    }

    @Test
    void metricsCountTokensAndRequests() throws Exception {
        String before = send(at("/metrics").GET()).body();
        ok("/v1/completions", "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 7, \"temperature\": 0}");
        Reply after = send(at("/metrics").GET());
        assertTrue(after.response().headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        // other tests may run requests at the same time: the counters grow by at least this request's share
        assertTrue(metric(after.body(), "jsteer_completion_tokens_total") - metric(before, "jsteer_completion_tokens_total") >= 7);
        assertTrue(metric(after.body(), "jsteer_prompt_tokens_total") - metric(before, "jsteer_prompt_tokens_total")
                >= model.tokenizer().encode(PROMPT, true).length);
        assertTrue(after.body().contains("jsteer_requests_total{endpoint=\"/v1/completions\",status=\"200\"} "), after.body());
        assertEquals(2, metric(after.body(), "jsteer_slots"));
        assertTrue(metric(after.body(), "jsteer_tokens_per_second") > 0);
        assertTrue(after.body().contains("# TYPE jsteer_queue_length gauge"));
    }

    @Test
    void curlStyleBodiesAndHostileBodies() throws Exception {
        String body = "{\"prompt\": \"Once\", \"max_tokens\": 2, \"temperature\": 0}";
        // curl -d sends a form Content-Type, some clients none at all: both are read as JSON
        assertEquals(200, send(at("/v1/completions").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body))).status());
        assertEquals(200, send(at("/v1/completions").POST(HttpRequest.BodyPublishers.ofString(body))).status());
        assertEquals(415, send(at("/v1/completions").header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofString(body))).status());
        // a chunked body (no Content-Length) is capped like any other
        byte[] big = ("{\"prompt\": \"" + "a".repeat((int) OpenAiServer.MAX_BODY_BYTES + 10) + "\"}").getBytes(StandardCharsets.UTF_8);
        Reply chunked = send(at("/v1/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        assertEquals(413, chunked.status(), chunked.body().length() > 300 ? chunked.body().substring(0, 300) : chunked.body());
        // roles out of the template's order: 400 naming messages, not 500
        for (String roles : List.of("[\"assistant\", \"user\"]", "[\"user\", \"user\"]", "[\"system\", \"system\", \"user\"]")) {
            StringBuilder msgs = new StringBuilder("[");
            for (JsonNode role : JSON.readTree(roles)) {
                msgs.append(msgs.length() > 1 ? "," : "").append("{\"role\": \"").append(role.asText()).append("\", \"content\": \"hi\"}");
            }
            Reply r = post("/v1/chat/completions", "{\"messages\": " + msgs + "]}");
            assertEquals(400, r.status(), roles + " → " + r.body());
            assertEquals("messages", r.json().at("/error/param").asText());
        }
        // 10,000 messages: refused with the reason
        String many = "{\"messages\": [" + String.join(",", java.util.Collections.nCopies(10_000,
                "{\"role\": \"user\", \"content\": \"hi\"}")) + "]}";
        Reply r = post("/v1/chat/completions", many);
        assertEquals(400, r.status(), r.body());
        assertEquals("messages", r.json().at("/error/param").asText());
        assertTrue(r.json().at("/error/message").asText().contains("at most " + RequestParser.MAX_MESSAGES), r.body());
        // invalid UTF-8
        Reply utf = send(at("/v1/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', 'p', '"', ':', '"', (byte) 0xC3, '"', '}'})));
        assertEquals(400, utf.status(), utf.body());
        assertTrue(utf.json().at("/error/message").asText().contains("UTF-8"), utf.body());
    }
}
