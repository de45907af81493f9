package io.jsteer.cli.serve;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Hostile request bodies, through the real server: whatever the bytes, every endpoint that reads a
 * body (chat and text completions, embeddings, activations, tokenize, detokenize, the default
 * steering, loading a vector set by path or by upload) answers with a status below 500 and a JSON
 * error naming why, or with a well-formed answer; never an "internal error", a dropped connection
 * or a hang. The first input byte picks the endpoint, the rest is the body, sent over loopback to
 * a server on stories260K with a real vector directory (sets {@code push} and {@code calm}), so the
 * bytes go through exactly the parsing, validation and steering resolution the handlers use.
 *
 * <p>A normal build replays the seeds under
 * {@code src/test/resources/io/jsteer/cli/serve/RequestFuzzTestInputs/}; {@code JAZZER_FUZZ=1
 * ./mvnw -pl cli test -Dtest=RequestFuzzTest} mutates them for the time below (README, Reliability).
 */
class RequestFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** method, path, Content-Type of each endpoint the first byte can pick. */
    private static final String[][] ENDPOINTS = {
            {"POST", "/v1/chat/completions", "application/json"},
            {"POST", "/v1/completions", "application/json"},
            {"POST", "/v1/embeddings", "application/json"},
            {"POST", "/v1/activations", "application/json"},
            {"POST", "/tokenize", "application/json"},
            {"POST", "/detokenize", "application/json"},
            {"PUT", "/v1/steering/default", "application/json"},
            {"POST", "/v1/steering/vectors", "application/json"},
            {"POST", "/v1/steering/vectors?name=upload", "application/octet-stream"},
    };

    private static LoadedModel model;
    private static GenerationService service;
    private static OpenAiServer server;
    private static HttpClient http;
    private static Path vectors;

    @BeforeAll
    static void start() throws IOException {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        model = ModelLoader.load(shared.resolve("models/stories260K.gguf"), null);
        vectors = Files.createTempDirectory("jsteer-fuzz-vectors");
        for (String name : List.of("push", "calm")) {
            TreeMap<Integer, float[]> v = new TreeMap<>();
            for (int l = 0; l < model.config().nLayers(); l++) {
                float[] x = new float[model.config().dim()];
                x[(l * 7 + name.length()) % x.length] = 1f;
                v.put(l, x);
            }
            VectorSetFiles.write(vectors.resolve(name), new VectorSet(SiteKind.RESID_POST, v,
                    Provenance.of("stories260K", "", "fuzz", "LAST", List.of())));
        }
        // a short context bounds what any accepted request can cost (n = 16 choices of at most 64 tokens)
        service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                VectorSteering.directory(model.config(), vectors), List.of(), null, 2, 1, 64,
                (m, ctx, par) -> m.newCpuEngine(ctx, par), null, 8);
        server = new OpenAiServer(service, 8, line -> {}).start("127.0.0.1", 0);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        service.close();
        model.close();
        try (var files = Files.list(vectors)) {
            for (Path p : files.toList()) Files.deleteIfExists(p);
        }
        Files.deleteIfExists(vectors);
    }

    @FuzzTest(maxDuration = "10m")
    void anyBodyGetsAnAnswerOrAClearClientError(byte[] input) throws Exception {
        if (input.length == 0) {
            return;
        }
        String[] e = ENDPOINTS[Byte.toUnsignedInt(input[0]) % ENDPOINTS.length];
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        HttpResponse<String> r;
        // loopback to our own server is the point of this test, not a request forgery
        try (SilentCloseable allowed = BugDetectors.allowNetworkConnections((host, port) -> port == server.port())) {
            r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + e[1]))
                    .timeout(Duration.ofSeconds(60)).header("Content-Type", e[2])
                    .method(e[0], HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        }
        String what = e[0] + " " + e[1] + " → " + r.statusCode() + ": " + shorten(r.body());
        if (r.statusCode() >= 500 || r.statusCode() < 200) {
            throw new AssertionError("a server error for a client's bytes: " + what);
        }
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            // a stream: its events are JSON, and it ends with [DONE]; an error inside it is the client's
            String[] events = r.body().split("\n\n");
            if (!events[events.length - 1].equals("data: [DONE]")) {
                throw new AssertionError("a stream without its end: " + what);
            }
            for (int i = 0; i < events.length - 1; i++) {
                JsonNode event = JSON.readTree(events[i].substring("data: ".length()));
                if (event.has("error") && event.at("/error/code").asInt() >= 500) {
                    throw new AssertionError("a server error inside a stream: " + what);
                }
            }
            return;
        }
        JsonNode answer = JSON.readTree(r.body());
        if (r.statusCode() >= 400) {
            String message = answer.at("/error/message").asText("");
            if (message.isBlank() || message.startsWith("internal error")) {
                throw new AssertionError("an error without a reason: " + what);
            }
        } else if (answer == null || !answer.isObject()) {
            throw new AssertionError("an answer that is not a JSON object: " + what);
        }
    }

    private static String shorten(String s) {
        return s.length() <= 400 ? s : s.substring(0, 400) + "...";
    }
}
