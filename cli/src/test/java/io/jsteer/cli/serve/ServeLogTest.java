package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14: the server's context is capped at the model's, it logs one line per request, and --steer may name a file. */
class ServeLogTest {

    private static final Path MODELS = Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve("models");

    private static LoadedModel load() {
        return ModelLoader.load(MODELS.resolve("stories260K.gguf"), null);
    }

    /** The llama2.c file, whose header has the 512 positions the model was trained with (the GGUF says 2048). */
    private static LoadedModel load512() {
        return ModelLoader.load(MODELS.resolve("stories260K.bin"), MODELS.resolve("tok512.bin"));
    }

    private static Path happy(Path dir) throws java.io.IOException {
        TreeMap<Integer, float[]> vectors = new TreeMap<>();
        float[] v = new float[64];
        v[3] = 1f;
        vectors.put(2, v);
        VectorSetFiles.write(dir.resolve("happy"), new VectorSet(SiteKind.RESID_POST, vectors,
                Provenance.of("stories260K", "", "test", "LAST", List.of())));
        return dir.resolve("happy.json");
    }

    @Test
    void contextIsCappedAtTheModelsAndTheAdviceSaysSo() {
        try (LoadedModel model = load512();
             GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     SteeringResolver.none(), List.of(), 1, 1, 2048)) {
            assertEquals(512, model.config().contextLength());
            assertEquals(512, service.capacity()); // what serve announces, not the 2048 asked for
            String tooLong = "Once upon a time there was a cat. ".repeat(80);
            var e = assertThrows(ApiException.class, () -> service.promptTokens(new RequestParser(new com.fasterxml.jackson.databind.ObjectMapper(),
                    service.modelName(), 8).parse("{\"prompt\": \"" + tooLong + "\"}", false)));
            assertTrue(e.getMessage().contains("the context holds 512 (the model's whole context"), e.getMessage());
            assertTrue(!e.getMessage().contains("larger --ctx-size"), e.getMessage());
        }
        try (LoadedModel model = load512();
             GenerationService small = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     SteeringResolver.none(), List.of(), 1, 1, 16)) {
            assertEquals(16, small.capacity());
            var e = assertThrows(ApiException.class, () -> small.promptTokens(new RequestParser(new com.fasterxml.jackson.databind.ObjectMapper(),
                    small.modelName(), 8).parse("{\"prompt\": \"" + "Once upon a time there was a cat. ".repeat(5) + "\"}", false)));
            assertTrue(e.getMessage().contains("larger --ctx-size, up to the model's 512"), e.getMessage());
        }
    }

    @Test
    void oneLogLinePerRequestWithIdTokensSteeringAndTime(@TempDir Path dir) throws Exception {
        Path file = happy(dir);
        String asWritten = file.toString();
        List<String> log = new CopyOnWriteArrayList<>();
        try (LoadedModel model = load();
             GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     VectorSteering.directory(model.config(), null, Map.of(asWritten, file)),
                     List.of(SteerSpec.parse(asWritten + ":3@2")), 1, 1, 128);
             OpenAiServer server = new OpenAiServer(service, 16, log::add).start("127.0.0.1", 0)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            var ok = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once upon a time\", \"max_tokens\": 7, \"temperature\": 0}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            var unsteered = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once\", \"max_tokens\": 2, \"temperature\": 0, \"steering\": []}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, unsteered.statusCode(), unsteered.body());
            var bad = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/completions")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\", \"steering\": [\"../etc/sad\"]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode(), bad.body());

            assertEquals(3, log.size(), log.toString());
            int promptTokens = model.tokenizer().encode("Once upon a time", true).length;
            Matcher m = Pattern.compile("jsteer serve: (cmpl-[0-9a-f-]+) (\\d+) tokens in, (\\d+) out \\(length\\), steering (.+), (\\d+) ms")
                    .matcher(log.get(0));
            assertTrue(m.matches(), log.get(0));
            assertTrue(ok.body().contains("\"id\":\"" + m.group(1) + "\""), ok.body()); // the id the client got
            assertEquals(promptTokens, Integer.parseInt(m.group(2)));
            assertEquals(7, Integer.parseInt(m.group(3)));
            assertEquals(asWritten + ":3@2", m.group(4)); // the default steering: the operator's --steer file
            assertTrue(log.get(1).contains(", steering none, "), log.get(1));
            assertTrue(log.get(2).startsWith("jsteer serve: POST /v1/completions -> 400 ") && log.get(2).contains("../etc/sad"), log.get(2));
        }
    }

    @Test
    void operatorFilesResolveButClientsStillCannotNamePaths(@TempDir Path dir) throws Exception {
        Path file = happy(dir);
        try (LoadedModel model = load()) {
            VectorSteering r = VectorSteering.directory(model.config(), null, Map.of("runs/happy.json", file));
            Hooks hooks = r.resolve(List.of(SteerSpec.parse("runs/happy.json:2@2"))).toHooks(model.config());
            float[] x = new float[64];
            hooks.run(SiteKind.RESID_POST, 2, 0, true, x);
            assertEquals(2f, x[3], 0f);
            var e = assertThrows(IllegalArgumentException.class, () -> r.resolve(List.of(SteerSpec.parse(file.toString()))));
            assertTrue(e.getMessage().contains("only its --steer files"), e.getMessage());
        }
    }
}
