package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.cli.serve.GenerationService;
import io.jsteer.cli.serve.OpenAiServer;
import io.jsteer.cli.serve.SteeringResolver;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.steering.mat.LossReport;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatParameters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run --mat} and {@code serve --mat} apply the checkpoint's GatedEdit and give the same greedy text. */
class MatRunServeTest {

    private static final String PROMPT = "Once upon a time, there was a little cat";

    /** A random (untrained) module: its gates are ≈ 0.5, so it visibly changes the text. */
    static Path checkpoint(Path dir, int d) throws Exception {
        MatParameters p = MatParameters.initial(List.of("happy", "animals"), d, 4);
        new MatCheckpoint(p, null, new MatCheckpoint.Metadata(MatCheckpoint.FORMAT, p.attributes(), d, "attn_heads:2", 2, "last",
                1, 0.9, 0.9, 0.1, "2", 2, 3.5, 96, 16, 100, 1e-3, 42, "stories260K.bin", "test", Map.of(),
                new LossReport(1, 0.25, 0.5, 1e-3, 1.7), new LossReport(0.5, 0.01, 0.1, 1e-3, 0.6), 0, "random", true)).save(dir.resolve("mat" + d));
        return dir.resolve("mat" + d);
    }

    static CliTest.Result run(String... extra) {
        String[] head = {"run", "--model", shared("models/stories260K.bin").toString(), "--tokenizer",
                shared("models/tok512.bin").toString(), "--threads", "1", "--prompt", PROMPT, "--temperature", "0", "--max-tokens", "30"};
        String[] all = new String[head.length + extra.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(extra, 0, all, head.length, extra.length);
        return jsteer(all);
    }

    record Reply(int status, JsonNode json) {}

    static Reply post(HttpClient http, int port, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), new ObjectMapper().readTree(r.body()));
    }

    @Test
    void runAndServeGiveTheSameSteeredText(@TempDir Path dir) throws Exception {
        Path mat = checkpoint(dir, 64);
        CliTest.Result plain = run();
        CliTest.Result steered = run("--mat", mat.toString());
        assertEquals(0, steered.code(), steered.err());
        assertTrue(steered.err().contains("MAT-Steer gated edit of 2 attribute(s) at attn_heads:2"), steered.err());
        assertTrue(steered.err().contains("mat: mean gates ") && steered.err().contains("tokens intervened (gate > 0.5)"), steered.err());
        assertNotEquals(plain.out(), steered.out(), "the module changes the greedy text");
        assertTrue(steered.out().startsWith(PROMPT), steered.out());
        String runText = steered.out().substring(PROMPT.length()).stripTrailing();
        String plainText = plain.out().substring(PROMPT.length()).stripTrailing();

        HttpClient http = HttpClient.newHttpClient();
        try (LoadedModel model = ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
             GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     SteeringResolver.none(), List.of(), SteerOptions.matEdit(mat, model.config()), 1, 1, 256);
             OpenAiServer server = new OpenAiServer(service, 64).start("127.0.0.1", 0)) {
            String body = "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 30, \"temperature\": 0";
            Reply byDefault = post(http, server.port(), body + "}");
            assertEquals(200, byDefault.status(), byDefault.json().toString());
            assertEquals(runText, byDefault.json().at("/choices/0/text").asText().stripTrailing());
            assertEquals(runText, post(http, server.port(), body + ", \"mat\": true}").json().at("/choices/0/text").asText().stripTrailing());
            assertEquals(plainText, post(http, server.port(), body + ", \"mat\": false}").json().at("/choices/0/text").asText().stripTrailing());
            Reply bad = post(http, server.port(), body + ", \"mat\": \"yes\"}");
            assertEquals(400, bad.status());
            assertEquals("mat", bad.json().at("/error/param").asText());
        }
        // the reference code's runtime multiplier: a larger edit changes the text again, the same in run and serve
        CliTest.Result strong = run("--mat", mat.toString(), "--mat-multiplier", "3");
        assertEquals(0, strong.code(), strong.err());
        assertTrue(strong.err().contains("multiplier 3.00"), strong.err());
        assertNotEquals(steered.out(), strong.out());
        try (LoadedModel model = ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
             GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     SteeringResolver.none(), List.of(), SteerOptions.matEdit(mat, model.config(), 3), 1, 1, 256);
             OpenAiServer server = new OpenAiServer(service, 64).start("127.0.0.1", 0)) {
            Reply r = post(http, server.port(), "{\"prompt\": \"" + PROMPT + "\", \"max_tokens\": 30, \"temperature\": 0}");
            assertEquals(strong.out().substring(PROMPT.length()).stripTrailing(), r.json().at("/choices/0/text").asText().stripTrailing());
        }
        CliTest.Result zero = run("--mat", mat.toString(), "--mat-multiplier", "0");
        assertEquals(2, zero.code()); // a bad flag value: a usage error
        assertTrue(zero.err().contains("--mat-multiplier must be a positive number"), zero.err());
        CliTest.Result alone = run("--mat-multiplier", "2");
        assertEquals(2, alone.code());
        assertTrue(alone.err().contains("--mat-multiplier needs --mat"), alone.err());

        // a server without a module refuses "mat": true, naming the field
        try (LoadedModel model = ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
             GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                     SteeringResolver.none(), List.of(), 1, 1, 256);
             OpenAiServer server = new OpenAiServer(service, 64).start("127.0.0.1", 0)) {
            Reply r = post(http, server.port(), "{\"prompt\": \"x\", \"max_tokens\": 2, \"mat\": true}");
            assertEquals(400, r.status());
            assertEquals("mat", r.json().at("/error/param").asText());
            assertTrue(r.json().at("/error/message").asText().contains("--mat"), r.json().toString());
        }
    }

    @Test
    void aModuleOfTheWrongWidthIsRefusedWithTheFileNamed(@TempDir Path dir) throws Exception {
        Path mat = checkpoint(dir, 32);
        CliTest.Result r = run("--mat", mat.toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("--mat " + mat) && r.err().contains("32 wide"), r.err());
    }
}
