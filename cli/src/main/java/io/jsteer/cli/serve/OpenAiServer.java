package io.jsteer.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The OpenAI-compatible HTTP API: {@code GET /v1/models[/{id}]}, {@code POST /v1/completions},
 * {@code POST /v1/chat/completions} (with {@code stream: true} as server-sent events), and beside
 * them llama-server's {@code /tokenize}, {@code /detokenize}, {@code /health}, {@code /metrics},
 * {@code /v1/embeddings}, and jsteer's own {@code /v1/activations} and {@code /v1/steering/...}
 * (see {@link ToolEndpoints}). Steering per request through the {@code steering} field (a jsteer
 * extension); every answer says in its {@code jsteer} field which steering it got.
 */
public final class OpenAiServer implements AutoCloseable {

    /** Request bodies above this are refused with 413 (announced sizes before reading, chunked ones while reading). */
    public static final long MAX_BODY_BYTES = 4L << 20;

    /** Request attribute set once an error body has been written (so the 404 mapper keeps it). */
    private static final String ERROR_WRITTEN = "jsteer.error";
    private static final String STARTED = "jsteer.started";

    private final GenerationService service;
    private final RequestParser parser;
    private final ServerOptions options;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong requests = new AtomicLong();
    private final ServerMetrics metrics = new ServerMetrics();
    private final Javalin app;
    /** The listening connector, set when Jetty starts (for the open-connection count in /metrics). */
    private volatile ServerConnector connector;
    /** Where {@link #start} binds; read by the connector factory when Jetty starts. */
    private volatile String bindHost;
    private volatile int bindPort;

    /** Where the one line per request goes (stderr for the command; tests collect it). */
    private final Consumer<String> log;

    public OpenAiServer(GenerationService service, int defaultMaxTokens) {
        this(service, defaultMaxTokens, line -> System.err.println(line));
    }

    public OpenAiServer(GenerationService service, int defaultMaxTokens, Consumer<String> log) {
        this(service, defaultMaxTokens, log, ServerOptions.DEFAULT);
    }

    public OpenAiServer(GenerationService service, int defaultMaxTokens, Consumer<String> log, ServerOptions options) {
        this.service = service;
        this.log = log;
        this.options = options;
        this.parser = new RequestParser(json, modelId(), defaultMaxTokens, service.model().config().vocabSize());
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = MAX_BODY_BYTES;
            cfg.useVirtualThreads = true;
            // our own connector, for its accept backlog: with Jetty's default (50) a burst of connections
            // got TCP resets instead of an answer; beyond the queue they now get 503 with Retry-After
            cfg.jetty.addConnector((server, http) -> {
                // Jetty's per-connection cache of parsed header lines (1024 trie rows: a 96 KiB char table
                // and 4 KiB of nodes for every open connection, kept until the connection closes) made each
                // idle keep-alive connection hold about 108 KB of heap; for requests that run for tokens the
                // header strings it saves are nothing, so it is off: an open connection now holds a few KB
                http.setHeaderCacheSize(0);
                ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
                c.setHost(bindHost);
                c.setPort(bindPort);
                c.setAcceptQueueSize(options.backlog());
                // what an idle keep-alive connection holds is freed when it closes: the bound on how long that is
                c.setIdleTimeout(options.idleTimeout().toMillis());
                connector = c;
                return c;
            });
        });
        app.before(this::crossOriginAndAuth);
        app.after(ctx -> metrics.request(ctx.endpointHandlerPath() == null ? "other" : ctx.endpointHandlerPath(), ctx.statusCode()));
        app.get("/health", ctx -> {
            String changed = service.modelFileChanged();
            if (changed != null) {
                ctx.status(503).json(json.createObjectNode().put("status", "error").put("error", changed));
            } else {
                ctx.json(json.createObjectNode().put("status", "ok").put("model", modelId())
                        .put("slots_idle", service.slots() - service.busy()).put("slots_processing", service.busy())
                        .put("queue_length", service.waiting()));
            }
        });
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render(service, openConnections())));
        app.get("/v1/models", this::models);
        app.get("/models", this::models);
        app.get("/v1/models/{id}", this::model);
        app.post("/v1/completions", ctx -> complete(ctx, false));
        app.post("/completions", ctx -> complete(ctx, false));
        app.post("/v1/chat/completions", ctx -> complete(ctx, true));
        app.post("/chat/completions", ctx -> complete(ctx, true));
        new ToolEndpoints(service, modelId(), json, parser, this::body, log).register(app);
        app.exception(ApiException.class, (e, ctx) -> {
            logFailure(ctx, e.status(), e.getMessage());
            if (e.retryAfter() > 0) {
                ctx.header("Retry-After", String.valueOf(e.retryAfter()));
            }
            error(ctx, e.status(), e.type(), e.param(), e.status() == 401 ? "invalid_api_key" : null, e.getMessage());
        });
        app.exception(Exception.class, (e, ctx) -> {
            String message = "internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            logFailure(ctx, 500, message);
            error(ctx, 500, "server_error", null, null, message);
        });
        app.error(404, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) { // not one of ours (unknown model): an unknown path
                error(ctx, 404, "invalid_request_error", null, null, "no such endpoint: " + ctx.method() + " " + ctx.path()
                        + " (try POST /v1/chat/completions, POST /v1/completions or GET /v1/models)");
            }
        });
        app.error(405, ctx -> error(ctx, 405, "invalid_request_error", null, null, "method " + ctx.method() + " is not allowed on " + ctx.path()));
        app.error(413, ctx -> error(ctx, 413, "invalid_request_error", null, null, "the request body is larger than " + MAX_BODY_BYTES + " bytes"));
    }

    /** Starts listening; port 0 picks a free port (see {@link #port()}). */
    public OpenAiServer start(String host, int port) {
        this.bindHost = host;
        this.bindPort = port;
        app.start();
        return this;
    }

    public int port() { return app.port(); }

    /** Client connections open now (keep-alive ones included; each closes after {@link ServerOptions#idleTimeout()} idle). */
    public int openConnections() {
        ServerConnector c = connector;
        return c == null ? 0 : c.getConnectedEndPoints().size();
    }

    public long requestCount() { return requests.get(); }

    /** The id the API reports: --alias, else the model file's name. */
    public String modelId() {
        return options.alias() != null ? options.alias() : service.modelName();
    }

    /**
     * CORS first (a browser's preflight carries no credentials, so it is answered before the key is
     * checked), then the API key on every endpoint but /health.
     */
    private void crossOriginAndAuth(Context ctx) {
        ctx.attribute(STARTED, System.nanoTime());
        String origin = ctx.header("Origin");
        boolean allowed = origin != null && (options.corsOrigins().contains("*") || options.corsOrigins().contains(origin));
        if (allowed) {
            ctx.header("Access-Control-Allow-Origin", options.corsOrigins().contains("*") ? "*" : origin);
            ctx.header("Vary", "Origin");
        }
        if (ctx.method() == HandlerType.OPTIONS) {
            if (!allowed) {
                throw new ApiException(403, "invalid_request_error", null, options.corsOrigins().isEmpty()
                        ? "cross-origin requests are off (start the server with --cors-origin ORIGIN)"
                        : "origin '" + origin + "' is not allowed (allowed: " + String.join(", ", options.corsOrigins()) + ")");
            }
            ctx.header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
            ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
            ctx.header("Access-Control-Max-Age", "600");
            ctx.status(204);
            ctx.skipRemainingHandlers();
            return;
        }
        if (options.apiKeys().isEmpty() || ctx.path().equals("/health")) {
            return;
        }
        String auth = ctx.header("Authorization");
        String given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : null;
        if (given == null) {
            throw new ApiException(401, "invalid_request_error", null,
                    "this server needs an API key: send the header 'Authorization: Bearer KEY'");
        }
        boolean match = false;
        byte[] g = given.getBytes(StandardCharsets.UTF_8);
        for (String key : options.apiKeys()) { // every key compared in full: the time says nothing about which is close
            match |= MessageDigest.isEqual(g, key.getBytes(StandardCharsets.UTF_8));
        }
        if (!match) {
            throw new ApiException(401, "invalid_request_error", null, "incorrect API key provided");
        }
    }

    /**
     * The request body as text, at most {@link #MAX_BODY_BYTES} whether its size was announced or
     * it came chunked. No Content-Type (as {@code curl -d} with a form type) is read as JSON too.
     */
    String body(Context ctx) {
        String ct = ctx.contentType();
        if (ct != null) {
            String type = ct.toLowerCase(Locale.ROOT);
            if (!type.startsWith("application/json") && !type.startsWith("application/x-www-form-urlencoded")
                    && !type.startsWith("text/plain")) {
                throw new ApiException(415, "invalid_request_error", null, "Content-Type must be application/json, got '" + ct + "'");
            }
        }
        if (ctx.req().getContentLengthLong() > MAX_BODY_BYTES) {
            throw new ApiException(413, "invalid_request_error", null, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        byte[] bytes;
        try {
            bytes = ctx.req().getInputStream().readNBytes((int) MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the request body", e);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "invalid_request_error", null, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest(null, "the request body is not valid UTF-8");
        }
    }

    private ObjectNode modelObject() {
        return json.createObjectNode().put("id", modelId()).put("object", "model").put("created", 0).put("owned_by", "jsteer");
    }

    private void models(Context ctx) {
        ObjectNode root = json.createObjectNode().put("object", "list");
        root.putArray("data").add(modelObject());
        ctx.json(root);
    }

    private void model(Context ctx) {
        String id = ctx.pathParam("id");
        if (!id.equals(modelId()) && !id.equals(service.modelName())) {
            ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
            throw new ApiException(404, "invalid_request_error", "model", "the model '" + id + "' does not exist (this server "
                    + "serves '" + modelId() + "'; completions accept any model name)");
        }
        ctx.json(modelObject());
    }

    /** A request that got an error status instead of a completion: still one log line, with the reason. */
    private void logFailure(Context ctx, int status, String message) {
        Long started = ctx.attribute(STARTED);
        log.accept(String.format(Locale.ROOT, "jsteer serve: %s %s -> %d %s (%d ms)", ctx.method(), ctx.path(), status,
                message, started == null ? 0 : (System.nanoTime() - started) / 1_000_000));
    }

    /** One line per completed request: id, tokens in/out, the steering asked for (and the gate's decision), time. */
    private void logCompletion(String id, CompletionRequest r, List<Completion> cs, long started) {
        String steering = service.steeringLabel(r);
        GateDecision gate = cs.getFirst().gate();
        if (gate != null) {
            steering += String.format(Locale.ROOT, " (gate %.2f %s %.2f: %s)", gate.score(),
                    gate.steer() ? ">" : "<=", gate.threshold(), gate.steer() ? "applied" : "not applied");
        }
        int out = cs.stream().mapToInt(Completion::completionTokens).sum();
        String finish = String.join(",", cs.stream().map(Completion::finishReason).toList());
        log.accept(String.format(Locale.ROOT, "jsteer serve: %s %d tokens in, %d out (%s), steering %s, %d ms%s%s", id,
                cs.getFirst().promptTokens(), out, finish, steering, (System.nanoTime() - started) / 1_000_000,
                r.stream() ? ", streamed" : "", cs.size() > 1 ? ", " + cs.size() + " choices" : ""));
    }

    private void complete(Context ctx, boolean chat) throws Exception {
        long started = System.nanoTime();
        requests.incrementAndGet();
        String changed = service.modelFileChanged();
        if (changed != null) {
            throw new ApiException(503, "server_error", null, changed);
        }
        CompletionRequest r = parser.parse(body(ctx), chat);
        InterventionSet hooks = service.steeringFor(r);
        int[] prompt = service.promptTokens(r);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        Responses shape = new Responses(json, service.model().tokenizer(), id, created, modelId(), chat);
        if (!r.stream()) {
            ClientProbe probe = ClientProbe.of(ctx);
            List<Completion> cs = service.complete(r, prompt, hooks, (i, text, lp) -> !probe.gone());
            if (cs == null) {
                clientGone(ctx, id, started);
                return;
            }
            ObjectNode root = shape.whole(cs);
            putSteering(root, r, hooks, cs.getFirst().gate());
            ctx.json(root);
            account(r, hooks, cs, started);
            logCompletion(id, r, cs, started);
            return;
        }
        ctx.status(200).contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        boolean[] roleSent = new boolean[r.n()];
        List<Completion> cs;
        try {
            cs = service.complete(r, prompt, hooks, (i, text, lp) -> {
                try {
                    if (chat && !roleSent[i]) {
                        roleSent[i] = true;
                        send(out, shape.roleChunk(i));
                    }
                    if (!text.isEmpty()) {
                        send(out, shape.textChunk(i, text, r.logprobs() >= 0 ? lp : null));
                    }
                    return true;
                } catch (UncheckedIOException e) {
                    return false; // the client went away: stop generating
                }
            });
        } catch (ApiException e) {
            // the status line has gone out already: the error travels as the stream's last event, as OpenAI's do
            ObjectNode err = json.createObjectNode();
            err.putObject("error").put("message", e.getMessage()).put("type", e.type()).put("param", e.param())
                    .put("code", e.status());
            try {
                send(out, err);
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (UncheckedIOException | IOException gone) {
                // the client has gone too
            }
            logFailure(ctx, e.status(), e.getMessage() + " (in the stream)");
            return;
        }
        if (cs == null) {
            clientGone(ctx, id, started);
            return;
        }
        try {
            for (Completion c : cs) {
                if (chat && !roleSent[c.index()]) { // a choice that produced no text still gets its role
                    send(out, shape.roleChunk(c.index()));
                }
                ObjectNode last = shape.finishChunk(c.index(), c.finishReason());
                putSteering(last, r, hooks, c.gate());
                send(out, last);
            }
            if (r.includeUsage()) {
                send(out, shape.usageChunk(cs));
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (UncheckedIOException | IOException e) {
            // the client closed the stream after the last token; nothing more to tell it
        }
        account(r, hooks, cs, started);
        logCompletion(id, r, cs, started);
    }

    private void clientGone(Context ctx, String id, long started) {
        metrics.clientGone();
        log.accept(String.format(Locale.ROOT, "jsteer serve: %s client went away, generation stopped (%d ms)", id,
                (System.nanoTime() - started) / 1_000_000));
    }

    private void account(CompletionRequest r, InterventionSet hooks, List<Completion> cs, long started) {
        GateDecision gate = cs.getFirst().gate();
        boolean steered = hooks != null && (gate == null || gate.steer());
        metrics.completion(cs.getFirst().promptTokens(), cs.stream().mapToInt(Completion::completionTokens).sum(),
                System.nanoTime() - started, steered);
    }

    /**
     * jsteer's extension field on every answer: the steering asked for, whether it was applied, and the
     * KTS gate's decision when the server gated it.
     */
    private void putSteering(ObjectNode root, CompletionRequest r, InterventionSet hooks, GateDecision gate) {
        ObjectNode j = root.putObject("jsteer").put("steering", service.steeringLabel(r))
                .put("steered", hooks != null && (gate == null || gate.steer()));
        if (gate != null) {
            j.put("gate_score", gate.score()).put("gate_threshold", gate.threshold());
        }
    }

    private void send(OutputStream out, ObjectNode event) {
        try {
            out.write(("data: " + json.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void error(Context ctx, int status, String type, String param, String code, String message) {
        ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
        ObjectNode root = json.createObjectNode();
        ObjectNode err = root.putObject("error").put("message", message).put("type", type);
        if (param == null) {
            err.putNull("param");
        } else {
            err.put("param", param);
        }
        if (code == null) {
            err.putNull("code");
        } else {
            err.put("code", code);
        }
        ctx.status(status).json(root);
    }

    @Override
    public void close() {
        app.stop();
    }

    /** The JSON shapes of completions and their streamed chunks, in OpenAI's two dialects (chat and text). */
    private record Responses(ObjectMapper json, Tokenizer tok, String id, long created, String model, boolean chat) {

        private ObjectNode root(String object) {
            return json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model);
        }

        ObjectNode whole(List<Completion> cs) {
            ObjectNode root = root(chat ? "chat.completion" : "text_completion");
            ArrayNode choices = root.putArray("choices");
            for (Completion c : cs) {
                ObjectNode choice = choices.addObject().put("index", c.index());
                if (chat) {
                    choice.putObject("message").put("role", "assistant").put("content", c.text());
                } else {
                    choice.put("text", c.text());
                }
                if (c.logprobs() == null) {
                    choice.putNull("logprobs");
                } else {
                    choice.set("logprobs", logprobs(c.logprobs()));
                }
                choice.put("finish_reason", c.finishReason());
            }
            root.set("usage", usage(cs));
            return root;
        }

        ObjectNode usage(List<Completion> cs) {
            int prompt = cs.getFirst().promptTokens(), out = cs.stream().mapToInt(Completion::completionTokens).sum();
            return json.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", out).put("total_tokens", prompt + out);
        }

        /** A chunk of choice {@code index}: chat chunks carry a {@code delta}, text chunks the text in the choice. */
        private ObjectNode chunk(int index, String text, String finish, List<Sampler.TokenLogprob> lp) {
            ObjectNode root = root(chat ? "chat.completion.chunk" : "text_completion");
            ObjectNode choice = root.putArray("choices").addObject().put("index", index);
            if (chat) {
                ObjectNode delta = choice.putObject("delta");
                if (text != null) {
                    delta.put("content", text);
                }
            } else {
                choice.put("text", text == null ? "" : text);
            }
            if (lp != null) {
                choice.set("logprobs", logprobs(lp));
            }
            if (finish == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finish);
            }
            return root;
        }

        /** A chat choice's first chunk: the role. */
        ObjectNode roleChunk(int index) {
            ObjectNode root = chunk(index, "", null, null);
            ((ObjectNode) root.at("/choices/0/delta")).put("role", "assistant");
            return root;
        }

        /** Text of choice {@code index}; {@code lp} the log-probabilities of its tokens (null: not asked for). */
        ObjectNode textChunk(int index, String text, List<Sampler.TokenLogprob> lp) {
            return chunk(index, text, null, lp);
        }

        ObjectNode finishChunk(int index, String finish) {
            return chunk(index, null, finish, null);
        }

        /** The last chunk of a stream with {@code include_usage}: no choices, the usage of all of them. */
        ObjectNode usageChunk(List<Completion> cs) {
            ObjectNode root = root(chat ? "chat.completion.chunk" : "text_completion");
            root.putArray("choices");
            root.set("usage", usage(cs));
            return root;
        }

        /** Chat: {@code {content: [{token, logprob, bytes, top_logprobs}]}}; text: the four parallel lists. */
        JsonNode logprobs(List<Sampler.TokenLogprob> lps) {
            ObjectNode out = json.createObjectNode();
            if (chat) {
                ArrayNode content = out.putArray("content");
                for (Sampler.TokenLogprob lp : lps) {
                    ObjectNode t = entry(content.addObject(), lp.token(), lp.logprob());
                    ArrayNode top = t.putArray("top_logprobs");
                    for (int i = 0; i < lp.topIds().length; i++) {
                        entry(top.addObject(), lp.topIds()[i], lp.topLogprobs()[i]);
                    }
                }
                out.putNull("refusal");
                return out;
            }
            ArrayNode tokens = out.putArray("tokens"), logprobs = out.putArray("token_logprobs"), top = out.putArray("top_logprobs"),
                    offsets = out.putArray("text_offset");
            int offset = 0;
            for (Sampler.TokenLogprob lp : lps) {
                String piece = piece(lp.token());
                tokens.add(piece);
                logprobs.add(lp.logprob());
                offsets.add(offset);
                offset += piece.length();
                ObjectNode alternatives = top.addObject();
                for (int i = 0; i < lp.topIds().length; i++) {
                    alternatives.put(piece(lp.topIds()[i]), lp.topLogprobs()[i]);
                }
            }
            return out;
        }

        private ObjectNode entry(ObjectNode o, int token, float logprob) {
            byte[] bytes = tok.tokenBytes(token);
            o.put("token", new String(bytes, StandardCharsets.UTF_8)).put("logprob", logprob);
            ArrayNode b = o.putArray("bytes");
            for (byte x : bytes) {
                b.add(x & 0xff);
            }
            return o;
        }

        private String piece(int token) {
            return new String(tok.tokenBytes(token), StandardCharsets.UTF_8);
        }
    }
}
