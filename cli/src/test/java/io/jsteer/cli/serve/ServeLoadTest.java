package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reliability proof: many clients at once with mixed steering, chat, streams and
 * cancelled streams; every answer equals the one the same request gets alone, none fails, every
 * cancelled stream is counted as a client that went away, and afterwards the server is idle,
 * answering, and back to its platform-thread count and heap (after a GC) of before the load.
 *
 * <p>The suite runs it small (8 clients × 6 requests). The full size is the same test with
 * {@code -Djsteer.load.clients=64 -Djsteer.load.requests=1000}; it prints its figures on stdout
 * (README, Reliability).
 */
class ServeLoadTest {

    private static final int CLIENTS = Integer.getInteger("jsteer.load.clients", 8);
    private static final int REQUESTS = Integer.getInteger("jsteer.load.requests", CLIENTS * 6);
    /**
     * Heap growth after the load (after a GC) that still counts as "back to baseline": caches, JIT,
     * class data, the clients' open keep-alive connections (both ends are in this JVM; see
     * {@link ServeRetainedHeapTest} for what one holds and for growth with the number of requests).
     */
    private static final long HEAP_SLACK = 32L << 20;
    /** Platform threads above the baseline after the load: Jetty may keep a few idle pool threads for a while. */
    private static final int THREAD_SLACK = 4;

    private static final List<String> BODIES = List.of(
            "{\"prompt\": \"Once upon a time\", \"max_tokens\": 24, \"temperature\": 0}",
            "{\"prompt\": \"Once upon a time\", \"max_tokens\": 24, \"temperature\": 0, \"steering\": [\"push:3@2\"]}",
            "{\"prompt\": \"The dog\", \"max_tokens\": 16, \"temperature\": 0.8, \"seed\": 3, \"top_k\": 20, \"steering\": [\"push:-2@4\"]}",
            "{\"prompt\": \"The dog\", \"max_tokens\": 16, \"n\": 2, \"seed\": 8, \"stream\": true}",
            "{\"prompt\": \"Lily\", \"max_tokens\": 20, \"temperature\": 0, \"frequency_penalty\": 1, \"stream\": true, "
                    + "\"steering\": [\"push:2@1\"], \"stream_options\": {\"include_usage\": true}}");
    /** Chat requests, answered at /v1/chat/completions. */
    private static final List<String> CHATS = List.of(
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me a story\"}], \"max_tokens\": 12, \"temperature\": 0, "
                    + "\"steering\": [\"push:1@3\"]}");

    /** With continuous batching (serve --cont-batching) the three slots' requests share each step of one engine. */
    @ParameterizedTest(name = "continuous batching {0}")
    @ValueSource(booleans = {false, true})
    void concurrentMixedRequestsGiveTheirSoloAnswers(boolean batching) throws Exception {
        try (LoadedModel model = ModelLoader.load(Path.of(System.getProperty("jsteer.shared", "../../shared"))
                .resolve("models/stories260K.gguf"), null)) {
            GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                    specs -> OpenAiServerTest.push(model, specs), List.of(), null, 3, 1, 256,
                    (m, ctx, par) -> m.newCpuEngine(ctx, par), null, CLIENTS * 2);
            if (batching) {
                service.enableContinuousBatching((m, ctx, par) -> m.newCpuEngine(ctx, par), 2);
            }
            try (service; OpenAiServer server = new OpenAiServer(service, 32, line -> {}).start("127.0.0.1", 0)) {
                // virtual threads for the client's own work too: the platform-thread count is the server's
                HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
                int port = server.port();
                List<String> kinds = kinds(), solo = new ArrayList<>();
                for (String k : kinds) {
                    solo.add(answer(http, port, k));
                }
                cancelledStream(port); // every kind of request has run once: the baseline includes what they load
                awaitIdle(service);
                awaitMetric(http, port, "jsteer_client_disconnects_total", 1);
                long heapBefore = heapAfterGc();
                int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
                long disconnectsBefore = metric(http, port, "jsteer_client_disconnects_total");

                AtomicInteger cancelled = new AtomicInteger(), differing = new AtomicInteger();
                long started = System.nanoTime();
                load(http, port, kinds, solo, CLIENTS, REQUESTS, cancelled, differing);
                double seconds = (System.nanoTime() - started) / 1e9;
                assertEquals(0, differing.get(), "answers that differ from the solo run");
                awaitIdle(service);
                assertEquals(0, service.busy());
                assertEquals(0, service.waiting());
                // a cancelled stream whose client closed mid-generation stopped it and was counted as a client gone; under
                // load a client may get its first bytes only after the whole (short) stream was written, which the server
                // rightly finished: so at least one, at most every cancelled stream is counted
                awaitMetric(http, port, "jsteer_client_disconnects_total", disconnectsBefore + 1);
                long gone = metric(http, port, "jsteer_client_disconnects_total") - disconnectsBefore;
                assertTrue(gone >= 1 && gone <= cancelled.get(), gone + " client departures counted for " + cancelled.get()
                        + " cancelled streams");
                assertEquals(solo.getFirst(), answer(http, port, kinds.getFirst()));
                // back to the baseline: platform threads (Jetty's pool shrinks after its idle timeout) and heap after a GC
                int threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
                long end = System.nanoTime() + 90_000_000_000L;
                while (threadsAfter > threadsBefore + THREAD_SLACK && System.nanoTime() < end) {
                    Thread.sleep(200);
                    threadsAfter = ManagementFactory.getThreadMXBean().getThreadCount();
                }
                long heapAfter = heapAfterGc();
                System.out.printf(Locale.ROOT, "serve load (batching %s): %d requests (%d cancelled streams) from %d clients in %.1f s "
                                + "(%.1f requests/s), 0 errors, %d differing, %d generations stopped by a departed client; platform threads %d before, %d after; heap after GC "
                                + "%.1f MB before, %.1f MB after%n", batching, REQUESTS, cancelled.get(), CLIENTS, seconds,
                        REQUESTS / seconds, differing.get(), gone, threadsBefore, threadsAfter, heapBefore / 1e6, heapAfter / 1e6);
                assertTrue(threadsAfter <= threadsBefore + THREAD_SLACK, "platform threads " + threadsBefore + " before, "
                        + threadsAfter + " after");
                assertTrue(heapAfter <= heapBefore + HEAP_SLACK, "heap after GC " + heapBefore + " before, " + heapAfter + " after");
            }
        }
    }

    /** The mix's kinds of request, each {@code PATH BODY}. */
    static List<String> kinds() {
        List<String> kinds = new ArrayList<>();
        for (String b : BODIES) {
            kinds.add("/v1/completions " + b);
        }
        for (String b : CHATS) {
            kinds.add("/v1/chat/completions " + b);
        }
        return kinds;
    }

    /**
     * {@code requests} requests of the mix from {@code clients} clients at once: request i is kind
     * {@code i % (kinds + 1)}, the extra kind a cancelled stream; each answer is compared with
     * {@code solo}. A failed request (non-200, an error in the answer, an I/O error) throws.
     */
    static void load(HttpClient http, int port, List<String> kinds, List<String> solo, int clients, int requests,
                     AtomicInteger cancelled, AtomicInteger differing) throws Exception {
        AtomicInteger next = new AtomicInteger();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> runs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                runs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                        int k = i % (kinds.size() + 1);
                        if (k == kinds.size()) {
                            cancelledStream(port);
                            cancelled.incrementAndGet();
                        } else if (!solo.get(k).equals(answer(http, port, kinds.get(k)))) {
                            differing.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get();
            }
        }
    }

    static void awaitIdle(GenerationService service) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while ((service.busy() != 0 || service.waiting() != 0) && System.nanoTime() < end) {
            Thread.sleep(5);
        }
    }

    /**
     * Live heap after a full collection, from the class histogram: the heap's "used" figure would also
     * count the filler arrays a collection leaves over dead space (up to several MB, varying run to run).
     */
    private static long heapAfterGc() throws Exception {
        return LiveHeap.bytesAfterGc();
    }

    /** Waits (up to 10 s) until the counter reaches {@code least}: the handler counts a departed client after freeing its slot. */
    private static void awaitMetric(HttpClient http, int port, String name, long least) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        while (metric(http, port, name) < least && System.nanoTime() < end) {
            Thread.sleep(10);
        }
    }

    private static long metric(HttpClient http, int port, String name) throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> (long) Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElseThrow();
    }

    /** The answer's content (path and body in {@code kind}): the JSON without its id and timestamps, or the stream's data lines without them. */
    static String answer(HttpClient http, int port, String kind) throws Exception {
        int space = kind.indexOf(' ');
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + kind.substring(0, space)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(kind.substring(space + 1))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        String out = r.body().replaceAll("\"id\":\"[^\"]*\"", "").replaceAll("\"created\":\\d+", "");
        assertTrue(!out.contains("\"error\""), out);
        return out;
    }

    /** A stream the client gives up on after its first bytes. */
    static void cancelledStream(int port) throws Exception {
        String body = "{\"prompt\": \"Once\", \"max_tokens\": 200, \"temperature\": 0, \"stream\": true, \"steering\": [\"push:1@3\"]}";
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            s.getInputStream().read(new byte[64]);
        }
    }
}
