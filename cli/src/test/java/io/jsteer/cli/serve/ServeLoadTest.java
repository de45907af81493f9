package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reliability proof at a size for the test suite: many clients at once with mixed
 * steering, chat, streams and cancelled streams; every answer equals the one the same request gets
 * alone, none fails, and the server is idle and answering afterwards.
 */
class ServeLoadTest {

    private static final int CLIENTS = 8;
    private static final int REQUESTS_PER_CLIENT = 6;

    /** With continuous batching (serve --cont-batching) the three slots' requests share each step of one engine. */
    @ParameterizedTest(name = "continuous batching {0}")
    @ValueSource(booleans = {false, true})
    void concurrentMixedRequestsGiveTheirSoloAnswers(boolean batching) throws Exception {
        List<String> bodies = List.of(
                "{\"prompt\": \"Once upon a time\", \"max_tokens\": 24, \"temperature\": 0}",
                "{\"prompt\": \"Once upon a time\", \"max_tokens\": 24, \"temperature\": 0, \"steering\": [\"push:3@2\"]}",
                "{\"prompt\": \"The dog\", \"max_tokens\": 16, \"temperature\": 0.8, \"seed\": 3, \"top_k\": 20, \"steering\": [\"push:-2@4\"]}",
                "{\"prompt\": \"The dog\", \"max_tokens\": 16, \"n\": 2, \"seed\": 8, \"stream\": true}",
                "{\"prompt\": \"Lily\", \"max_tokens\": 20, \"temperature\": 0, \"frequency_penalty\": 1, \"stream\": true, "
                        + "\"steering\": [\"push:2@1\"], \"stream_options\": {\"include_usage\": true}}");
        try (LoadedModel model = ModelLoader.load(Path.of(System.getProperty("jsteer.shared", "../../shared"))
                .resolve("models/stories260K.gguf"), null)) {
            GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                    specs -> OpenAiServerTest.push(model, specs), List.of(), null, 3, 1, 256,
                    (m, ctx, par) -> m.newCpuEngine(ctx, par), null, CLIENTS * 2);
            if (batching) {
                service.enableContinuousBatching((m, ctx, par) -> m.newCpuEngine(ctx, par), 2);
            }
            try (service; OpenAiServer server = new OpenAiServer(service, 32, line -> {}).start("127.0.0.1", 0);
                 ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                HttpClient http = HttpClient.newHttpClient();
                int port = server.port();
                List<String> solo = new ArrayList<>();
                for (String b : bodies) {
                    solo.add(answer(http, port, b));
                }
                List<Future<Integer>> runs = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    int client = c;
                    runs.add(pool.submit(() -> {
                        int differing = 0;
                        for (int i = 0; i < REQUESTS_PER_CLIENT; i++) {
                            int k = (client + i) % (bodies.size() + 1);
                            if (k == bodies.size()) {
                                cancelledStream(port);
                            } else if (!solo.get(k).equals(answer(http, port, bodies.get(k)))) {
                                differing++;
                            }
                        }
                        return differing;
                    }));
                }
                int differing = 0;
                for (Future<Integer> f : runs) {
                    differing += f.get(); // a failed request (non-200, I/O error) throws here
                }
                assertEquals(0, differing, "answers that differ from the solo run");
                long end = System.nanoTime() + 10_000_000_000L;
                while ((service.busy() != 0 || service.waiting() != 0) && System.nanoTime() < end) {
                    Thread.sleep(5);
                }
                assertEquals(0, service.busy());
                assertEquals(0, service.waiting());
                assertEquals(solo.getFirst(), answer(http, port, bodies.getFirst()));
            }
        }
    }

    /** The answer's content: the JSON without its id and timestamps, or the stream's data lines without them. */
    private static String answer(HttpClient http, int port, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        String out = r.body().replaceAll("\"id\":\"[^\"]*\"", "").replaceAll("\"created\":\\d+", "");
        assertTrue(!out.contains("\"error\""), out);
        return out;
    }

    /** A stream the client gives up on after its first bytes. */
    private static void cancelledStream(int port) throws Exception {
        String body = "{\"prompt\": \"Once\", \"max_tokens\": 200, \"temperature\": 0, \"stream\": true, \"steering\": [\"push:1@3\"]}";
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            s.getInputStream().read(new byte[64]);
        }
    }
}
