package io.jsteer.cli;

import io.jsteer.cli.serve.GenerationService;
import io.jsteer.cli.serve.OpenAiServer;
import io.jsteer.cli.serve.ServerOptions;
import io.jsteer.cli.serve.SteerSpec;
import io.jsteer.cli.serve.SteeringResolver;
import io.jsteer.cli.serve.VectorSteering;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The OpenAI-compatible HTTP server. */
@Command(name = "serve", description = "Serve the model over an OpenAI- and llama-server-compatible HTTP API "
        + "(/v1/chat/completions, /v1/completions, /v1/models, /v1/embeddings, /tokenize, /detokenize, /health, /metrics) "
        + "with per-request steering, vector sets managed at run time (/v1/steering/...) and activations (/v1/activations).",
        footer = {"", "Example:", "  jsteer serve --model stories260K --port 8080",
                "  curl -s localhost:8080/v1/completions -H 'Content-Type: application/json' \\",
                "       -d '{\"prompt\": \"Once upon a time\", \"max_tokens\": 40, \"temperature\": 0}'",
                "  jsteer serve --vectors vectors/   # then requests may add \"steering\": [\"happy:4@3\"] (length 4 at block 3)",
                "  JSTEER_API_KEY=secret jsteer serve --alias gpt-3.5-turbo --cors-origin http://localhost:3000",
                "  jsteer serve --mat runs/story     # MAT-Steer on every request; \"mat\": false turns it off",
                "  jsteer serve --vectors vectors/ --lora kts-run/adapter --gate kts-run/gate.json   # KTS: steer flagged prompts only"})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    AdapterOptions adapters;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for all interfaces)")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "TCP port, 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1",
            description = "requests generated at once, each with its own KV cache; more wait (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = {"--cont-batching", "-cb"},
            description = "continuous batching: the --parallel requests share one CPU engine that reads the weights once per step"
                    + " for all of them (each keeps its own KV cache and steering); without it each slot has its own engine")
    boolean contBatching;

    @Option(names = "--ctx-size", paramLabel = "N", defaultValue = "2048",
            description = "KV-cache positions per request slot, capped at the model's context (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "256",
            description = "new tokens when a request gives no max_tokens (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--vectors", paramLabel = "DIR",
            description = "vector sets requests may name in their 'steering' field (DIR/NAME.json + NAME.safetensors)")
    java.nio.file.Path vectors;

    @Option(names = "--steer", paramLabel = "NAME|FILE[:STRENGTH][:raw][@LAYERS]",
            description = "steering for requests that have no 'steering' field: a set in --vectors, or a vector-set file "
                    + "(as in run; requests may then name it as written here); repeatable. STRENGTH is the length added along "
                    + "each layer's unit direction, here and in a request's \"steering\" entries; ':raw' or \"raw\": true "
                    + "multiplies the vector as stored")
    List<String> steer = new java.util.ArrayList<>();

    @Option(names = "--mat", paramLabel = "FILE",
            description = "a MAT-Steer checkpoint (from 'jsteer mat train') applied to every request unless it sends \"mat\": false")
    java.nio.file.Path mat;

    @Option(names = "--mat-multiplier", paramLabel = "M", defaultValue = "1",
            description = "scale the --mat edit: a' = a + M·Σ g_t θ_t before the norm is restored (default 1, the paper)")
    double matMultiplier;

    @Option(names = "--template", paramLabel = "NAME|FILE", description = "chat template: auto (default: the model's own, "
            + "else a built-in one for its vocabulary), model, llama3, chatml, llama2, or a .jinja file")
    String template;

    @Option(names = "--alias", paramLabel = "NAME",
            description = "model id the API reports (default: the model file's name); requests may name any model")
    String alias;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "require 'Authorization: Bearer KEY' on every endpoint but /health; repeatable "
                    + "(default: the comma-separated keys in JSTEER_API_KEY, else none)")
    List<String> apiKeys = new java.util.ArrayList<>();

    @Option(names = "--cors-origin", paramLabel = "ORIGIN",
            description = "let browser pages from ORIGIN (e.g. http://localhost:3000, or *) call the API; repeatable (default: off)")
    List<String> corsOrigins = new java.util.ArrayList<>();

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "requests that may wait for a slot; more get 503 with Retry-After (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "longest a request may take, its wait for a slot included: then 503 if still waiting, "
                    + "504 if generating; 0 = no limit (default: ${DEFAULT-VALUE})")
    long timeout;

    /** --api-key, else JSTEER_API_KEY (comma-separated), so a key need not appear in the process list. */
    private List<String> keys() {
        if (!apiKeys.isEmpty()) {
            return apiKeys;
        }
        String env = System.getenv("JSTEER_API_KEY");
        return env == null || env.isBlank() ? List.of()
                : java.util.Arrays.stream(env.split(",")).map(String::trim).filter(k -> !k.isEmpty()).toList();
    }

    /** Slot engines of --engine, each with the --lora adapter (read once, shared read-only by the slots). */
    private GenerationService.EngineFactory adapterEngines(LoadedModel model) {
        var adapter = adapters.adapter(model.config());
        return (m, ctx, par) -> AdapterOptions.attach(Engines.create(common.engine, m, ctx, par), adapter);
    }

    /**
     * The --steer values that name files rather than sets in --vectors (a bare name in --vectors
     * wins over a file of that name in the working directory), keyed as written.
     */
    private Map<String, Path> steerFiles() {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String s : steer) {
            String v = SteerSpec.parse(s).vector();
            boolean inVectors = vectors != null && v.matches("[A-Za-z0-9._-]+") && !v.startsWith(".")
                    && Files.isRegularFile(vectors.resolve(v.endsWith(".json") ? v : v + ".json"));
            Path json = VectorSetFiles.jsonPath(Path.of(v));
            if (!inVectors && Files.isRegularFile(json)) {
                files.put(v, json);
            }
        }
        return files;
    }

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UsageException("--port must be between 0 and 65535, got " + port);
        }
        if (parallel < 1 || parallel > 64) {
            throw new UsageException("--parallel must be between 1 and 64, got " + parallel);
        }
        if (ctxSize < 2) {
            throw new UsageException("--ctx-size must be at least 2, got " + ctxSize);
        }
        if (queue < 0 || queue > 100_000) {
            throw new UsageException("--queue must be between 0 and 100000, got " + queue);
        }
        if (timeout < 0 || timeout > 86_400) {
            throw new UsageException("--timeout must be between 0 (no limit) and 86400 seconds, got " + timeout);
        }
        if (alias != null && alias.isBlank()) {
            throw new UsageException("--alias must not be empty");
        }
        ServerOptions options;
        try {
            options = new ServerOptions(alias, keys(), corsOrigins, Math.max(1024, queue + parallel));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        int threadsPerSlot = Math.max(1, common.threadCount() / parallel);
        Map<String, Path> steerFiles = steerFiles();
        try (LoadedModel model = common.load();
             GenerationService service = new GenerationService(model, common.chatTemplate("jsteer serve", model, template).template(),
                     vectors == null && steerFiles.isEmpty() ? SteeringResolver.none()
                             : VectorSteering.directory(model.config(), vectors, steerFiles),
                     steer.stream().map(SteerSpec::parse).toList(), mat == null ? null : SteerOptions.matEdit(mat, model.config(), matMultiplier),
                     parallel, threadsPerSlot, ctxSize, adapterEngines(model), adapters.probeGate(model.config()), queue);
             OpenAiServer server = new OpenAiServer(service, maxTokens, System.err::println, options)) {
            service.setRequestTimeout(java.time.Duration.ofSeconds(timeout));
            if (contBatching) {
                try {
                    service.enableContinuousBatching(adapterEngines(model), common.threadCount());
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
            server.start(host, port);
            System.err.printf("jsteer serve: %s on http://%s:%d/v1 (%s, context %d, queue %d); Ctrl-C stops%n",
                    server.modelId(), host, server.port(), contBatching
                            ? parallel + " slot(s) continuously batched on " + common.threadCount() + " thread(s)"
                            : parallel + " slot(s) x " + threadsPerSlot + " thread(s)", service.capacity(), queue);
            System.err.println("jsteer serve: " + (options.apiKeys().isEmpty() ? "no API key (anyone who can reach the port may use it)"
                    : options.apiKeys().size() + " API key(s) required") + "; CORS " + (corsOrigins.isEmpty() ? "off"
                    : "for " + String.join(", ", corsOrigins)));
            if (service.capacity() < ctxSize) {
                System.err.printf("jsteer serve: --ctx-size %d capped at the model's context length %d%n", ctxSize, service.capacity());
            }
            if (vectors != null || !steer.isEmpty()) {
                System.err.println("jsteer serve: vector sets for 'steering': "
                        + (vectors == null ? steerFiles.keySet() : VectorSteering.names(vectors)
                        + (steerFiles.isEmpty() ? "" : " and " + steerFiles.keySet()))
                        + (steer.isEmpty() ? "" : "; default steering " + steer));
            }
            if (mat != null) {
                System.err.println("jsteer serve: MAT-Steer module " + mat + " on every request unless it sends \"mat\": false");
            }
            if (adapters.lora != null || adapters.gate != null) {
                System.err.println("jsteer serve: " + (adapters.lora == null ? "" : "LoRA adapter " + adapters.lora + "; ")
                        + (adapters.gate == null ? "" : "gate " + adapters.gate + " decides per request whether its steering "
                        + "is applied (response field 'jsteer')"));
            }
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }
}
