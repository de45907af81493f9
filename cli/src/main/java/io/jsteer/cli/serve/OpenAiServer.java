package io.jsteer.cli.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.jsteer.model.intervene.Hooks;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The OpenAI-compatible HTTP API: {@code GET /v1/models}, {@code POST /v1/completions},
 * {@code POST /v1/chat/completions} (with {@code stream: true} as server-sent events) and
 * {@code GET /health}. Steering per request through the {@code steering} field (a jsteer extension).
 */
public final class OpenAiServer implements AutoCloseable {

    /** Request bodies above this are refused with 413 before they are parsed. */
    public static final long MAX_BODY_BYTES = 4L << 20;

    /** Request attribute set once an error body has been written (so the 404 mapper keeps it). */
    private static final String ERROR_WRITTEN = "jsteer.error";

    private final GenerationService service;
    private final RequestParser parser;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicLong requests = new AtomicLong();
    private final Javalin app;

    /** Where the one line per request goes (stderr for the command; tests collect it). */
    private final java.util.function.Consumer<String> log;

    public OpenAiServer(GenerationService service, int defaultMaxTokens) {
        this(service, defaultMaxTokens, line -> System.err.println(line));
    }

    public OpenAiServer(GenerationService service, int defaultMaxTokens, java.util.function.Consumer<String> log) {
        this.service = service;
        this.log = log;
        this.parser = new RequestParser(json, service.modelName(), defaultMaxTokens);
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.http.maxRequestSize = MAX_BODY_BYTES;
            cfg.useVirtualThreads = true;
        });
        app.get("/health", ctx -> {
            String changed = service.modelFileChanged();
            if (changed != null) {
                ctx.status(503).json(json.createObjectNode().put("status", "error").put("error", changed));
            } else {
                ctx.json(json.createObjectNode().put("status", "ok"));
            }
        });
        app.get("/v1/models", this::models);
        app.post("/v1/completions", ctx -> complete(ctx, false));
        app.post("/v1/chat/completions", ctx -> complete(ctx, true));
        app.exception(ApiException.class, (e, ctx) -> {
            logFailure(ctx, e.status(), e.getMessage());
            error(ctx, e.status(), e.type(), e.param(), e.getMessage());
        });
        app.exception(Exception.class, (e, ctx) -> {
            String message = "internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            logFailure(ctx, 500, message);
            error(ctx, 500, "server_error", null, message);
        });
        app.error(404, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) { // not one of ours (unknown model): an unknown path
                error(ctx, 404, "invalid_request_error", null, "no such endpoint: " + ctx.method() + " " + ctx.path()
                        + " (try POST /v1/chat/completions, POST /v1/completions or GET /v1/models)");
            }
        });
        app.error(405, ctx -> error(ctx, 405, "invalid_request_error", null, "method " + ctx.method() + " is not allowed on " + ctx.path()));
        app.error(413, ctx -> error(ctx, 413, "invalid_request_error", null, "the request body is larger than " + MAX_BODY_BYTES + " bytes"));
    }

    /** Starts listening; port 0 picks a free port (see {@link #port()}). */
    public OpenAiServer start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() { return app.port(); }

    public long requestCount() { return requests.get(); }

    private void models(Context ctx) {
        ObjectNode root = json.createObjectNode().put("object", "list");
        ArrayNode data = root.putArray("data");
        data.addObject().put("id", service.modelName()).put("object", "model").put("created", 0).put("owned_by", "jsteer");
        ctx.json(root);
    }

    /** A request that got an error status instead of a completion: still one log line, with the reason. */
    private void logFailure(Context ctx, int status, String message) {
        Long started = ctx.attribute(STARTED);
        log.accept(String.format(java.util.Locale.ROOT, "jsteer serve: %s %s -> %d %s (%d ms)", ctx.method(), ctx.path(), status,
                message, started == null ? 0 : (System.nanoTime() - started) / 1_000_000));
    }

    /** One line per completed request: id, tokens in/out, the steering asked for (and the gate's decision), time. */
    private void logCompletion(String id, CompletionRequest r, Completion c, long started) {
        String steering = service.steeringLabel(r);
        if (c.gate() != null) {
            steering += String.format(java.util.Locale.ROOT, " (gate %.2f %s %.2f: %s)", c.gate().score(),
                    c.gate().steer() ? ">" : "<=", c.gate().threshold(), c.gate().steer() ? "applied" : "not applied");
        }
        log.accept(String.format(java.util.Locale.ROOT, "jsteer serve: %s %d tokens in, %d out (%s), steering %s, %d ms%s", id,
                c.promptTokens(), c.completionTokens(), c.finishReason(), steering, (System.nanoTime() - started) / 1_000_000,
                r.stream() ? ", streamed" : ""));
    }

    private static final String STARTED = "jsteer.started";

    private void complete(Context ctx, boolean chat) throws Exception {
        long started = System.nanoTime();
        ctx.attribute(STARTED, started);
        requests.incrementAndGet();
        String changed = service.modelFileChanged();
        if (changed != null) {
            throw new ApiException(503, "server_error", null, changed);
        }
        String ct = ctx.contentType();
        if (ct != null && !ct.toLowerCase().startsWith("application/json")) {
            throw new ApiException(415, "invalid_request_error", null, "Content-Type must be application/json, got '" + ct + "'");
        }
        CompletionRequest r = parser.parse(ctx.body(), chat);
        Hooks hooks = service.steeringFor(r);
        int[] prompt = service.promptTokens(r);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID();
        long created = System.currentTimeMillis() / 1000;
        if (!r.stream()) {
            Completion c = service.complete(r, prompt, hooks, text -> true);
            ObjectNode root = json.createObjectNode().put("id", id).put("object", chat ? "chat.completion" : "text_completion")
                    .put("created", created).put("model", service.modelName());
            ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", c.text());
            } else {
                choice.put("text", c.text());
            }
            choice.put("finish_reason", c.finishReason());
            root.putObject("usage").put("prompt_tokens", c.promptTokens()).put("completion_tokens", c.completionTokens())
                    .put("total_tokens", c.promptTokens() + c.completionTokens());
            putGate(root, c.gate());
            ctx.json(root);
            logCompletion(id, r, c, started);
            return;
        }
        ctx.status(200).contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        OutputStream out = ctx.res().getOutputStream();
        String object = chat ? "chat.completion.chunk" : "text_completion";
        if (chat) {
            send(out, chunk(id, object, created, delta -> delta.put("role", "assistant"), null, true));
        }
        Completion c;
        try {
            c = service.complete(r, prompt, hooks, text -> {
                try {
                    send(out, chunk(id, object, created, d -> {
                        if (chat) {
                            d.put("content", text);
                        } else {
                            d.put("text", text);
                        }
                    }, null, chat));
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
            return;
        }
        try {
            ObjectNode last = chunk(id, object, created, d -> {}, c.finishReason(), chat);
            putGate(last, c.gate());
            send(out, last);
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (UncheckedIOException | IOException e) {
            // the client closed the stream after the last token; nothing more to tell it
        }
        logCompletion(id, r, c, started);
    }

    /** jsteer's extension field: the KTS gate's decision, when the server gated this request's steering. */
    private static void putGate(ObjectNode root, GateDecision gate) {
        if (gate != null) {
            root.putObject("jsteer").put("gate_score", gate.score()).put("gate_threshold", gate.threshold())
                    .put("steered", gate.steer());
        }
    }

    private interface Fill {
        void into(ObjectNode delta);
    }

    /** One streamed chunk: chat chunks carry {@code delta}, completion chunks put text in the choice. */
    private ObjectNode chunk(String id, String object, long created, Fill fill, String finish, boolean chat) {
        ObjectNode root = json.createObjectNode().put("id", id).put("object", object).put("created", created)
                .put("model", service.modelName());
        ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
        if (chat) {
            fill.into(choice.putObject("delta"));
        } else {
            choice.put("text", "");
            fill.into(choice);
        }
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish);
        }
        return root;
    }

    private void send(OutputStream out, ObjectNode event) {
        try {
            out.write(("data: " + json.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void error(Context ctx, int status, String type, String param, String message) {
        ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
        ObjectNode root = json.createObjectNode();
        ObjectNode err = root.putObject("error").put("message", message).put("type", type);
        if (param == null) {
            err.putNull("param");
        } else {
            err.put("param", param);
        }
        err.putNull("code");
        ctx.status(status).json(root);
    }

    @Override
    public void close() {
        app.stop();
    }
}
