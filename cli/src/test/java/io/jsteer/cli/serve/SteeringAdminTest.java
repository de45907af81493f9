package io.jsteer.cli.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.vectors.ControlVectors;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steering managed at run time over HTTP: list, load (path, upload, control vector), unload, default steering. */
class SteeringAdminTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static VectorSet set(int layer, int index, float value) {
        TreeMap<Integer, float[]> vectors = new TreeMap<>();
        float[] v = new float[64];
        v[index] = value;
        vectors.put(layer, v);
        return new VectorSet(SiteKind.RESID_POST, vectors, Provenance.of("stories260K", "", "test", "LAST", List.of()));
    }

    record Reply(int status, JsonNode json) {}

    private static Reply send(int port, String method, String path, HttpRequest.BodyPublisher body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).method(method, body);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
    }

    private static Reply json(int port, String method, String path, String body) throws Exception {
        return send(port, method, path, HttpRequest.BodyPublishers.ofString(body), "application/json");
    }

    private static String complete(int port, String steering) throws Exception {
        Reply r = json(port, "POST", "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 25, \"temperature\": 0"
                + (steering == null ? "" : ", \"steering\": " + steering) + "}");
        assertEquals(200, r.status(), String.valueOf(r.json()));
        return r.json().at("/choices/0/text").asText();
    }

    @Test
    void vectorSetsAreListedLoadedAndUnloadedWhileServing(@TempDir Path root) throws Exception {
        Path dir = Files.createDirectories(root.resolve("vectors"));
        VectorSetFiles.write(dir.resolve("happy"), set(2, 3, 1f));
        Files.createDirectories(dir.resolve("more"));
        VectorSetFiles.write(dir.resolve("more/sad"), set(3, 5, -2f));
        VectorSetFiles.write(root.resolve("outside"), set(2, 3, 1f));
        ControlVectors.export(set(4, 7, 1.5f), dir.resolve("cv.gguf"), null, "llama", false);
        Files.createSymbolicLink(dir.resolve("more/link.safetensors"), root.resolve("outside.safetensors"));
        try (LoadedModel model = ModelLoader.load(Path.of(System.getProperty("jsteer.shared", "../../shared"))
                .resolve("models/stories260K.gguf"), null);
             GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     VectorSteering.directory(model.config(), dir), List.of(), 1, 1, 256);
             OpenAiServer server = new OpenAiServer(service, 64, line -> {}).start("127.0.0.1", 0)) {
            int port = server.port();
            JsonNode list = send(port, "GET", "/v1/steering/vectors", HttpRequest.BodyPublishers.noBody(), null).json();
            assertEquals(1, list.get("data").size(), list.toString());
            JsonNode happy = list.at("/data/0");
            assertEquals("happy", happy.get("id").asText());
            assertEquals("resid_post", happy.get("site").asText());
            assertEquals(2, happy.at("/layers/0").asInt());
            assertEquals(1.0, happy.at("/norms/2").asDouble(), 1e-6);
            assertEquals("test", happy.at("/provenance/method").asText(), happy.toString());
            assertEquals("stories260K", happy.at("/provenance/model/name").asText(), happy.toString());

            String plain = complete(port, null);
            String steered = complete(port, "[\"happy:4@2\"]");
            assertNotEquals(plain, steered);

            // an upload of the same file under another name steers exactly as the file does
            Reply up = send(port, "POST", "/v1/steering/vectors?name=up",
                    HttpRequest.BodyPublishers.ofFile(dir.resolve("happy.safetensors")), "application/octet-stream");
            assertEquals(201, up.status(), String.valueOf(up.json()));
            assertEquals(steered, complete(port, "[\"up:4@2\"]"));

            // a file inside --vectors by path, and a llama.cpp control vector
            assertEquals(201, json(port, "POST", "/v1/steering/vectors", "{\"name\": \"sad\", \"path\": \"more/sad.safetensors\"}").status());
            assertNotEquals(plain, complete(port, "[\"sad:3\"]"));
            Reply cv = json(port, "POST", "/v1/steering/vectors", "{\"name\": \"cv\", \"path\": \"cv.gguf\"}");
            assertEquals(201, cv.status(), String.valueOf(cv.json()));
            assertEquals(4, cv.json().at("/layers/0").asInt());
            assertEquals(List.of("cv", "happy", "sad", "up"), ids(port));

            // nothing outside --vectors: parent paths, absolute paths, links out
            for (String bad : List.of("../outside.safetensors", root.resolve("outside.safetensors").toString(), "more/link.safetensors",
                    "more/../../outside.safetensors", "")) {
                Reply r = json(port, "POST", "/v1/steering/vectors", "{\"name\": \"x\", \"path\": " + JSON.writeValueAsString(bad) + "}");
                assertEquals(400, r.status(), bad + " → " + r.json());
                assertTrue(r.json().at("/error/message").asText().contains("--vectors"), r.json().toString());
            }
            Reply garbage = send(port, "POST", "/v1/steering/vectors?name=junk", HttpRequest.BodyPublishers.ofByteArray(new byte[100]),
                    "application/octet-stream");
            assertEquals(400, garbage.status(), String.valueOf(garbage.json()));
            assertFalse(garbage.json().at("/error/message").asText().contains("jsteer-upload"), garbage.json().toString());
            assertEquals(400, json(port, "POST", "/v1/steering/vectors", "{\"name\": \"../evil\", \"path\": \"happy.safetensors\"}").status());

            // unloaded: refused by name (400 naming it), no longer listed; loading it again brings it back
            Reply del = send(port, "DELETE", "/v1/steering/vectors/happy", HttpRequest.BodyPublishers.noBody(), null);
            assertEquals(200, del.status());
            assertTrue(del.json().get("deleted").asBoolean());
            Reply refused = json(port, "POST", "/v1/completions", "{\"prompt\": \"Once\", \"steering\": [\"happy:4@2\"]}");
            assertEquals(400, refused.status());
            assertEquals("steering", refused.json().at("/error/param").asText());
            assertTrue(refused.json().at("/error/message").asText().contains("'happy' was unloaded"), refused.json().toString());
            assertEquals(List.of("cv", "sad", "up"), ids(port));
            assertEquals(404, send(port, "DELETE", "/v1/steering/vectors/nothing", HttpRequest.BodyPublishers.noBody(), null).status());
            assertEquals(201, json(port, "POST", "/v1/steering/vectors", "{\"name\": \"happy\", \"path\": \"happy.safetensors\"}").status());
            assertEquals(steered, complete(port, "[\"happy:4@2\"]"));

            // the server-wide default, set at run time: requests without 'steering' get it, and say so
            Reply set = json(port, "PUT", "/v1/steering/default", "{\"steering\": [\"happy:4@2\"]}");
            assertEquals(200, set.status(), String.valueOf(set.json()));
            assertEquals("happy:4@2", set.json().at("/steering/0").asText());
            Reply r = json(port, "POST", "/v1/completions", "{\"prompt\": \"Once upon a time\", \"max_tokens\": 25, \"temperature\": 0}");
            assertEquals(steered, r.json().at("/choices/0/text").asText());
            assertEquals("happy:4@2", r.json().at("/jsteer/steering").asText());
            assertTrue(r.json().at("/jsteer/steered").asBoolean());
            assertEquals(plain, complete(port, "[]")); // a request may still opt out
            Reply busy = send(port, "DELETE", "/v1/steering/vectors/happy", HttpRequest.BodyPublishers.noBody(), null);
            assertEquals(409, busy.status()); // in use by the default: not unloaded under its feet
            assertTrue(busy.json().at("/error/message").asText().contains("default steering"), busy.json().toString());
            Reply wrong = json(port, "PUT", "/v1/steering/default", "{\"steering\": [\"nobody:1\"]}");
            assertEquals(400, wrong.status());
            assertTrue(wrong.json().at("/error/message").asText().contains("nobody"), wrong.json().toString());
            assertEquals("happy:4@2", send(port, "GET", "/v1/steering/default", HttpRequest.BodyPublishers.noBody(), null)
                    .json().at("/steering/0").asText()); // unchanged by the refused one
            assertEquals(200, json(port, "PUT", "/v1/steering/default", "{\"steering\": []}").status());
            assertEquals(plain, complete(port, null));
        }
    }

    private static List<String> ids(int port) throws Exception {
        JsonNode list = send(port, "GET", "/v1/steering/vectors", HttpRequest.BodyPublishers.noBody(), null).json();
        List<String> out = new java.util.ArrayList<>();
        list.get("data").forEach(e -> out.add(e.get("id").asText()));
        return out;
    }

    @Test
    void aServerWithoutVectorSetsSaysSo() throws Exception {
        try (LoadedModel model = ModelLoader.load(Path.of(System.getProperty("jsteer.shared", "../../shared"))
                .resolve("models/stories260K.gguf"), null);
             GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     SteeringResolver.none(), List.of(), 1, 1, 64);
             OpenAiServer server = new OpenAiServer(service, 8, line -> {}).start("127.0.0.1", 0)) {
            Reply r = send(server.port(), "GET", "/v1/steering/vectors", HttpRequest.BodyPublishers.noBody(), null);
            assertEquals(404, r.status());
            assertTrue(r.json().at("/error/message").asText().contains("--vectors"), r.json().toString());
        }
    }
}
