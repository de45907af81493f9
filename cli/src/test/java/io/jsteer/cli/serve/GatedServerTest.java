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
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.kts.gate.SteeringGate;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Var;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The server with a LoRA adapter on its slots and a KTS probe gate deciding each request's steering. */
class GatedServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String A = "Tom lost a ball at the park. Then Tom felt", B = "Once upon a time there was a cat";

    /** Vector "push" adds strength to e_0..e_7 at resid_post:2. */
    private static InterventionSet push(LoadedModel model, double strength) {
        return InterventionSet.of(OpenAiServerTest.pushAt(model, 2, strength));
    }

    private static String direct(LoadedModel model, LoraAdapter adapter, String prompt, InterventionSet steering) {
        try (Parallel par = new Parallel(1); CpuEngine e = model.newCpuEngine(256, par)) {
            e.setAdapter(adapter);
            e.setInterventions(steering);
            var tok = model.tokenizer();
            var r = new Generator(e).generate(tok.encode(prompt, true), 20, Sampler.greedy(),
                    t -> t == tok.eos() || t == tok.bos(), (x, y) -> {});
            StringBuilder sb = new StringBuilder();
            var d = tok.newDecoder();
            for (int id : r.generated()) {
                sb.append(d.accept(id));
            }
            return sb.append(d.flush()).toString();
        }
    }

    private static JsonNode post(int port, String prompt, boolean steer) throws Exception {
        String body = "{\"prompt\": " + JSON.writeValueAsString(prompt) + ", \"max_tokens\": 20, \"temperature\": 0"
                + (steer ? ", \"steering\": [\"push:3\"]" : "") + "}";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    @Test
    void theGateSteersOnlyFlaggedPromptsOfTheAdaptedModelAndSaysSo() throws Exception {
        Path shared = Path.of(System.getProperty("jsteer.shared", "../../shared"));
        try (LoadedModel model = ModelLoader.load(shared.resolve("models/stories260K.gguf"), null)) {
            LoraAdapter adapter = LoraAdapter.initialize(model.config(), 4, 8, EnumSet.allOf(LoraTarget.class), 7);
            SplittableRandom r = new SplittableRandom(8);
            for (int l = 0; l < model.config().nLayers(); l++) {
                for (LoraTarget t : LoraTarget.values()) {
                    Var b = adapter.b(l, t);
                    for (int i = 0; i < b.size(); i++) {
                        b.data().set(i, r.nextGaussian() * 0.1);
                    }
                }
            }
            int dim = model.config().dim();
            float[][] w = new float[2][dim];
            float[] std = new float[dim];
            for (int i = 0; i < dim; i++) {
                w[1][i] = (float) r.nextGaussian();
                std[i] = 1;
            }
            LinearProbe probe = new LinearProbe(1, w, new float[2], new float[dim], std);
            double scoreA, scoreB;
            try (Parallel par = new Parallel(1); CpuEngine e = model.newCpuEngine(64, par)) {
                e.setAdapter(adapter);
                scoreA = probe.score(ActivationCapture.residuals(e).lastToken(model.tokenizer().encode(A, true))[1]);
                scoreB = probe.score(ActivationCapture.residuals(e).lastToken(model.tokenizer().encode(B, true))[1]);
            }
            assertNotEquals(scoreA, scoreB, 1e-3);
            double threshold = (scoreA + scoreB) / 2;
            String flagged = scoreA > scoreB ? A : B, benign = scoreA > scoreB ? B : A;

            try (GenerationService service = new GenerationService(model, ChatTemplate.forTokenizer(model.tokenizer(), null),
                    specs -> specs.isEmpty() ? null : push(model, specs.getFirst().strength()), List.of(), null, 1, 1, 256,
                    (m, ctx, par) -> {
                        CpuEngine e = m.newCpuEngine(ctx, par);
                        e.setAdapter(adapter);
                        return e;
                    }, new ProbeGate(new SteeringGate(probe, threshold)));
                 OpenAiServer server = new OpenAiServer(service, 64).start("127.0.0.1", 0)) {
                JsonNode f = post(server.port(), flagged, true);
                assertTrue(f.at("/jsteer/steered").asBoolean(), f.toString());
                assertEquals(Math.max(scoreA, scoreB), f.at("/jsteer/gate_score").asDouble(), 1e-6);
                assertEquals(threshold, f.at("/jsteer/gate_threshold").asDouble(), 1e-12);
                assertEquals(direct(model, adapter, flagged, push(model, 3)), f.at("/choices/0/text").asText());
                assertNotEquals(direct(model, adapter, flagged, null), f.at("/choices/0/text").asText());

                JsonNode b = post(server.port(), benign, true);
                assertFalse(b.at("/jsteer/steered").asBoolean(), b.toString());
                assertEquals(Math.min(scoreA, scoreB), b.at("/jsteer/gate_score").asDouble(), 1e-6);
                assertEquals(direct(model, adapter, benign, null), b.at("/choices/0/text").asText());

                // no steering asked: no gate run (the 'jsteer' field says none, unsteered); the adapter is still on
                JsonNode plain = post(server.port(), flagged, false);
                assertTrue(plain.at("/jsteer/gate_score").isMissingNode(), plain.toString());
                assertEquals("none", plain.at("/jsteer/steering").asText(), plain.toString());
                assertFalse(plain.at("/jsteer/steered").asBoolean(), plain.toString());
                assertEquals(direct(model, adapter, flagged, null), plain.at("/choices/0/text").asText());
            }
        }
    }
}
