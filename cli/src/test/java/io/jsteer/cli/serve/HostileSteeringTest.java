package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 20 / 15: hostile steering entries in a request are refused fast, with the field named. */
class HostileSteeringTest {

    private static LlamaConfig config;
    private final RequestParser parser = new RequestParser(new ObjectMapper(), "stories260K", 16);

    @TempDir
    Path dir;

    @BeforeAll
    static void model() {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        try (LoadedModel m = ModelLoader.load(shared.resolve("models/stories260K.gguf"), null)) {
            config = m.config();
        }
    }

    private VectorSteering happy() throws Exception {
        var vectors = new TreeMap<Integer, float[]>();
        for (int l = 0; l < config.nLayers(); l++) {
            float[] v = new float[config.dim()];
            v[l] = 1f;
            vectors.put(l, v);
        }
        VectorSetFiles.write(dir.resolve("happy"), new VectorSet(SiteKind.RESID_POST, vectors,
                Provenance.of("stories260K", "", "test", "LAST", List.of())));
        return VectorSteering.directory(config, dir);
    }

    private ApiException refused(String steering) {
        return assertThrows(ApiException.class, () -> parser.parse("{\"prompt\": \"x\", \"steering\": " + steering + "}", false));
    }

    @Test
    void aHugeLayerRangeIsRefusedAtOnceWithAShortMessage() throws Exception {
        VectorSteering r = happy();
        for (String layers : List.of("0-2147483647", "0-20000000", "99999999999999999999")) {
            var e = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> assertThrows(IllegalArgumentException.class,
                    () -> r.resolve(List.of(new SteerSpec("happy", 1f, layers, null)))));
            assertTrue(e.getMessage().length() < 200, e.getMessage());
            assertTrue(e.getMessage().contains("layers of 'happy'") && e.getMessage().contains(layers), e.getMessage());
        }
        // the string form goes through the same grammar
        var e = assertThrows(IllegalArgumentException.class, () -> r.resolve(List.of(SteerSpec.parse("happy:2@0-2147483647"))));
        assertTrue(e.getMessage().contains("the model has " + config.nLayers() + " blocks"), e.getMessage());
        // and the good forms still work: a list, a range and "all" (= every layer of the set)
        assertEquals(config.nLayers(), r.interventions(List.of(SteerSpec.parse("happy@all"))).items().size());
        assertEquals(3, r.interventions(List.of(SteerSpec.parse("happy@0,2-3"))).items().size());
    }

    @Test
    void manySteeringEntriesAreCappedAndResolveInLinearTime() throws Exception {
        String entry = "\"happy:1@1\"";
        String many = "[" + String.join(",", java.util.Collections.nCopies(64_000, entry)) + "]";
        ApiException e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> refused(many));
        assertEquals(400, e.status());
        assertEquals("steering", e.param());
        assertTrue(e.getMessage().contains("at most " + RequestParser.MAX_STEERING_ENTRIES), e.getMessage());
        // at the cap the request is accepted and resolves in linear time
        String atCap = "[" + String.join(",", java.util.Collections.nCopies(RequestParser.MAX_STEERING_ENTRIES, entry)) + "]";
        CompletionRequest ok = parser.parse("{\"prompt\": \"x\", \"steering\": " + atCap + "}", false);
        VectorSteering r = happy();
        assertEquals(RequestParser.MAX_STEERING_ENTRIES, assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> r.interventions(ok.steering())).items().size());
    }

    @Test
    void nonFiniteLogitsGiveAJsonErrorNotGarbage() throws Exception {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        try (LoadedModel m = ModelLoader.load(shared.resolve("models/stories260K.gguf"), null)) {
            // steering "boom" is a valid (zero) edit, but the engines below then give non-finite logits, as an edit that
            // overflows the stream on the way would: the server must answer with an error, not garbage text
            SteeringResolver boom = specs -> specs.isEmpty() ? null : io.jsteer.model.intervene.InterventionSet.of(
                    io.jsteer.model.intervene.AddVector.of(new io.jsteer.model.intervene.Site(SiteKind.RESID_POST, 2),
                            new float[m.config().dim()], 1, io.jsteer.model.intervene.Positions.ALL));
            GenerationService service = new GenerationService(m, io.jsteer.model.chat.ChatTemplate.forTokenizer(m.tokenizer(), null),
                    boom, List.of(), null, 1, 1, 64, (model, ctx, par) -> new NanWhenSteered(model.newCpuEngine(ctx, par)), null, 4);
            OpenAiServer server = new OpenAiServer(service, 64).start("127.0.0.1", 0);
            try {
                var http = java.net.http.HttpClient.newHttpClient();
                String body = "{\"prompt\": \"Once\", \"max_tokens\": 4, \"steering\": [\"boom\"]";
                var plain = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/completions")).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body + "}")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(400, plain.statusCode(), plain.body());
                var err = new ObjectMapper().readTree(plain.body()).get("error");
                assertEquals("steering", err.get("param").asText());
                assertTrue(err.get("message").asText().contains("logits became non-finite"), plain.body());
                var stream = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/completions")).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body + ", \"stream\": true}")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertTrue(stream.body().contains("\"error\"") && stream.body().contains("logits became non-finite")
                        && stream.body().trim().endsWith("data: [DONE]"), stream.body());
                assertTrue(!stream.body().contains("⁇"), stream.body());
            } finally {
                server.close();
                service.close();
            }
        }
    }

    @Test
    void aModelFileRewrittenWhileServingIsReportedNotServed() throws Exception {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        Path copy = dir.resolve("model.gguf");
        java.nio.file.Files.copy(shared.resolve("models/stories260K.gguf"), copy);
        try (LoadedModel m = ModelLoader.load(copy, null)) {
            GenerationService service = new GenerationService(m, io.jsteer.model.chat.ChatTemplate.forTokenizer(m.tokenizer(), null),
                    specs -> null, List.of(), 1, 1, 64);
            OpenAiServer server = new OpenAiServer(service, 64).start("127.0.0.1", 0);
            try {
                var http = java.net.http.HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + server.port();
                java.util.function.Supplier<java.net.http.HttpResponse<String>> complete = () -> {
                    try {
                        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/v1/completions"))
                                .header("Content-Type", "application/json")
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once\", \"max_tokens\": 2}")).build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                };
                var health = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/health")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
                assertEquals(200, complete.get().statusCode());
                // grown in place (what `cp` over it starts doing; appending keeps the mapped pages valid for this test)
                java.nio.file.Files.write(copy, new byte[] {0, 0, 0, 0}, java.nio.file.StandardOpenOption.APPEND);
                health = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/health")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(503, health.statusCode(), health.body());
                assertTrue(health.body().contains("was replaced or rewritten since it was loaded"), health.body());
                var r = complete.get();
                assertEquals(503, r.statusCode(), r.body());
                assertTrue(new ObjectMapper().readTree(r.body()).at("/error/message").asText().contains("restart the server"), r.body());
            } finally {
                server.close();
                service.close();
            }
        }
    }

    @Test
    void absurdStrengthsAreRefusedInBothForms() {
        for (String s : List.of("[\"happy:1e38\"]", "[{\"vector\": \"happy\", \"strength\": 1e38}]", "[\"happy:-5000\"]",
                "[{\"vector\": \"happy\", \"strength\": 1e400}]", "[\"happy:NaN\"]", "[\"happy:Infinity\"]")) {
            ApiException e = refused(s);
            assertEquals(400, e.status(), s);
            assertTrue(e.param().startsWith("steering[0]"), s + " → " + e.param());
            assertTrue(e.getMessage().contains("strength"), e.getMessage());
        }
        // a strength inside the bound is kept as given
        assertEquals(-12.5f, parser.parse("{\"prompt\": \"x\", \"steering\": [\"happy:-12.5\"]}", false).steering().get(0).strength());
    }

    /** A CPU engine whose logits are NaN from the third position on while steering is set (through the steering door). */
    static final class NanWhenSteered implements io.jsteer.model.InferenceEngine {
        private final io.jsteer.model.CpuEngine inner;
        private boolean steered;

        NanWhenSteered(io.jsteer.model.CpuEngine inner) {
            this.inner = inner;
        }

        private float[] spoil(float[] logits, int position) {
            if (steered && position >= 2) {
                logits[0] = Float.NaN;
            }
            return logits;
        }

        @Override public io.jsteer.model.LlamaConfig config() { return inner.config(); }
        @Override public int capacity() { return inner.capacity(); }
        @Override public float[] forward(int token, int position, boolean inPrompt) {
            return spoil(inner.forward(token, position, inPrompt), position);
        }
        @Override public float[] prefill(int[] tokens, int start) {
            return spoil(inner.prefill(tokens, start), start + tokens.length - 1);
        }
        @Override public void setHooks(io.jsteer.model.intervene.Hooks hooks) { inner.setHooks(hooks); }
        @Override public void setInterventions(io.jsteer.model.intervene.InterventionSet set, io.jsteer.model.intervene.GateListener gates) {
            steered = set != null && !set.isEmpty();
            inner.setInterventions(set, gates);
        }
        @Override public void setAdapter(io.jsteer.model.lora.LoraAdapter adapter) { inner.setAdapter(adapter); }
        @Override public void close() { inner.close(); }
    }
}
