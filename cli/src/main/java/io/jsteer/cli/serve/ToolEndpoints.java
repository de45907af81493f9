package io.jsteer.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.vectors.VectorSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The endpoints beside completions: llama-server's {@code /tokenize} and {@code /detokenize},
 * OpenAI's {@code /v1/embeddings}, and jsteer's {@code /v1/activations} and run-time steering
 * management ({@code /v1/steering/vectors}, {@code /v1/steering/default}).
 */
final class ToolEndpoints {

    /** At most this many texts per embeddings or activations request. */
    static final int MAX_INPUTS = 256;

    /** At most this many floats in one activations answer (64 MiB of JSON numbers is already a lot). */
    static final long MAX_ACTIVATION_FLOATS = 4L << 20;

    private final GenerationService service;
    private final ObjectMapper json;
    private final RequestParser parser;
    private final Function<Context, String> body;
    private final Consumer<String> log;
    /** The model id answers report (--alias, else the file's name). */
    private final String modelId;

    ToolEndpoints(GenerationService service, String modelId, ObjectMapper json, RequestParser parser,
                  Function<Context, String> body, Consumer<String> log) {
        this.service = service;
        this.modelId = modelId;
        this.json = json;
        this.parser = parser;
        this.body = body;
        this.log = log;
    }

    void register(Javalin app) {
        app.post("/tokenize", this::tokenize);
        app.post("/detokenize", this::detokenize);
        app.post("/v1/embeddings", this::embeddings);
        app.post("/embeddings", this::embeddings);
        app.post("/v1/activations", this::activations);
        app.get("/v1/steering/vectors", this::listVectors);
        app.post("/v1/steering/vectors", this::loadVector);
        app.delete("/v1/steering/vectors/{name}", this::unloadVector);
        app.get("/v1/steering/default", this::getDefault);
        app.put("/v1/steering/default", this::setDefault);
        app.post("/v1/steering/default", this::setDefault);
    }

    private Tokenizer tok() {
        return service.model().tokenizer();
    }

    /** {@code {"content": TEXT, "add_special": false, "with_pieces": false}} → {@code {"tokens": [...]}}. */
    private void tokenize(Context ctx) {
        JsonNode root = parser.object(body.apply(ctx));
        String content = text(root, "content");
        boolean special = RequestParser.booleanField(root, "add_special");
        boolean pieces = RequestParser.booleanField(root, "with_pieces");
        int[] ids = tok().encode(content, special);
        ObjectNode out = json.createObjectNode();
        ArrayNode tokens = out.putArray("tokens");
        for (int id : ids) {
            if (pieces) {
                tokens.addObject().put("id", id).put("piece", new String(tok().tokenBytes(id), java.nio.charset.StandardCharsets.UTF_8));
            } else {
                tokens.add(id);
            }
        }
        ctx.json(out);
    }

    /** {@code {"tokens": [ids]}} → {@code {"content": TEXT}}. */
    private void detokenize(Context ctx) {
        JsonNode root = parser.object(body.apply(ctx));
        ctx.json(json.createObjectNode().put("content", tok().decode(tokenIds(root.get("tokens"), "tokens"))));
    }

    private int[] tokenIds(JsonNode arr, String field) {
        if (arr == null || !arr.isArray()) {
            throw ApiException.badRequest(field, "'" + field + "' must be an array of token ids");
        }
        int[] ids = new int[arr.size()];
        int vocab = tok().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = arr.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0 || t.asInt() >= vocab) {
                throw ApiException.badRequest(field + "[" + i + "]", "'" + field + "[" + i + "]' must be a token id from 0 to "
                        + (vocab - 1) + ", got " + t);
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private static String text(JsonNode root, String field) {
        JsonNode v = root.get(field);
        if (v == null || !v.isTextual()) {
            throw ApiException.badRequest(field, "'" + field + "' must be a string");
        }
        return v.asText();
    }

    /**
     * OpenAI's embeddings: by default the residual stream after the last block (resid_post of block
     * L−1, before the final norm), averaged over the input's tokens (BOS excluded), scaled to unit
     * length. jsteer's extra fields choose another site ({@code "site": "resid_post:3"}), last-token
     * pooling ({@code "pooling": "last"}) and raw vectors ({@code "normalize": false}).
     */
    private void embeddings(Context ctx) throws InterruptedException {
        long started = System.nanoTime();
        JsonNode root = parser.object(body.apply(ctx));
        List<int[]> inputs = inputs(root);
        int nLayers = service.model().config().nLayers();
        Site site = root.hasNonNull("site") ? site(text(root, "site")) : new Site(SiteKind.RESID_POST, nLayers - 1);
        String pooling = root.hasNonNull("pooling") ? text(root, "pooling") : "mean";
        if (!pooling.equals("mean") && !pooling.equals("last")) {
            throw ApiException.badRequest("pooling", "'pooling' must be mean or last, got '" + pooling + "'");
        }
        boolean normalize = !root.hasNonNull("normalize") || RequestParser.booleanField(root, "normalize");
        String format = root.hasNonNull("encoding_format") ? text(root, "encoding_format") : "float";
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.badRequest("encoding_format", "'encoding_format' must be float or base64, got '" + format + "'");
        }
        if (root.hasNonNull("dimensions") && root.get("dimensions").asInt() != service.model().config().dim()) {
            throw ApiException.badRequest("dimensions", "'dimensions' other than the model's width "
                    + service.model().config().dim() + " is not supported");
        }
        ObjectNode out = json.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        int total = 0;
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids = inputs.get(i);
            total += ids.length;
            float[][] states = service.activations(ids, List.of(site))[0];
            float[] v = pool(states, ids, pooling);
            if (normalize) {
                double norm = 0;
                for (float x : v) norm += (double) x * x;
                norm = Math.sqrt(norm);
                for (int j = 0; j < v.length && norm > 0; j++) v[j] /= (float) norm;
            }
            ObjectNode e = data.addObject().put("object", "embedding").put("index", i);
            if (format.equals("base64")) { // what OpenAI's Python SDK asks for: float32 little-endian
                ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) b.putFloat(x);
                e.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode arr = e.putArray("embedding");
                for (float x : v) arr.add(x);
            }
        }
        out.put("model", modelId);
        out.putObject("usage").put("prompt_tokens", total).put("total_tokens", total);
        ctx.json(out);
        log.accept(String.format(Locale.ROOT, "jsteer serve: embeddings %d input(s), %d tokens, %s-pooled %s, %d ms",
                inputs.size(), total, pooling, site, (System.nanoTime() - started) / 1_000_000));
    }

    /** Mean over the positions after BOS (BOS's state is the same for every text), or the last position. */
    private float[] pool(float[][] states, int[] ids, String pooling) {
        int dim = states[0].length;
        if (pooling.equals("last")) {
            return states[states.length - 1].clone();
        }
        int from = ids.length > 1 && ids[0] == tok().bos() ? 1 : 0;
        float[] v = new float[dim];
        for (int t = from; t < states.length; t++) {
            for (int j = 0; j < dim; j++) v[j] += states[t][j];
        }
        for (int j = 0; j < dim; j++) v[j] /= states.length - from;
        return v;
    }

    /** OpenAI's {@code input}: a string, an array of strings, an array of token ids, or an array of those. */
    private List<int[]> inputs(JsonNode root) {
        JsonNode in = root.get("input");
        List<int[]> out = new ArrayList<>();
        if (in != null && in.isTextual()) {
            out.add(tok().encode(in.asText(), true));
        } else if (in != null && in.isArray() && !in.isEmpty() && in.get(0).isIntegralNumber()) {
            out.add(tokenIds(in, "input"));
        } else if (in != null && in.isArray() && !in.isEmpty() && in.size() <= MAX_INPUTS) {
            for (int i = 0; i < in.size(); i++) {
                JsonNode e = in.get(i);
                if (e.isTextual()) {
                    out.add(tok().encode(e.asText(), true));
                } else if (e.isArray()) {
                    out.add(tokenIds(e, "input[" + i + "]"));
                } else {
                    throw ApiException.badRequest("input[" + i + "]", "'input[" + i + "]' must be a string or an array of token ids");
                }
            }
        } else {
            throw ApiException.badRequest("input", "'input' must be a string or a non-empty array of at most " + MAX_INPUTS
                    + " strings (or token-id arrays)");
        }
        for (int i = 0; i < out.size(); i++) {
            if (out.get(i).length == 0) {
                out.set(i, new int[] {tok().bos()});
            }
        }
        return out;
    }

    private static Site site(String text) {
        try {
            return Site.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("site", e.getMessage());
        }
    }

    /**
     * jsteer's {@code POST /v1/activations}: what {@code extract} captures, for given texts, from a
     * remote server: {@code {"input": [...], "site": "resid_post", "layers": "0-3", "pooling": "last"}}
     * → per input its tokens and, per site, the pooled vector ({@code last}, {@code mean}) or one
     * vector per token ({@code none}).
     */
    private void activations(Context ctx) throws InterruptedException {
        JsonNode root = parser.object(body.apply(ctx));
        List<int[]> inputs = inputs(root);
        SiteKind kind;
        try {
            kind = SiteKind.parse(root.hasNonNull("site") ? text(root, "site") : "resid_post");
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("site", e.getMessage());
        }
        int nLayers = service.model().config().nLayers();
        List<Integer> layers;
        try {
            LayerSelection sel = LayerSelection.parse("'layers'", root.hasNonNull("layers") ? root.get("layers").asText() : "all");
            layers = sel.isAll() ? java.util.stream.IntStream.range(0, nLayers).boxed().toList() : List.copyOf(sel.resolve(nLayers));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("layers", e.getMessage());
        }
        String pooling = root.hasNonNull("pooling") ? text(root, "pooling") : "last";
        if (!List.of("last", "mean", "none").contains(pooling)) {
            throw ApiException.badRequest("pooling", "'pooling' must be last, mean or none, got '" + pooling + "'");
        }
        long floats = 0;
        for (int[] ids : inputs) {
            floats += (long) (pooling.equals("none") ? ids.length : 1) * layers.size() * service.model().config().dim();
        }
        if (floats > MAX_ACTIVATION_FLOATS) {
            throw ApiException.badRequest("input", "the answer would hold " + floats + " numbers; at most " + MAX_ACTIVATION_FLOATS
                    + " per request (fewer texts or layers, or pooling)");
        }
        List<Site> sites = layers.stream().map(l -> new Site(kind, l)).toList();
        ObjectNode out = json.createObjectNode().put("object", "list").put("model", modelId).put("pooling", pooling);
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids = inputs.get(i);
            float[][][] acts = service.activations(ids, sites);
            ObjectNode e = data.addObject().put("index", i);
            ArrayNode t = e.putArray("tokens");
            for (int id : ids) t.add(id);
            ObjectNode bySite = e.putObject("activations");
            for (int s = 0; s < sites.size(); s++) {
                ArrayNode arr = bySite.putArray(sites.get(s).toString());
                if (pooling.equals("none")) {
                    for (float[] row : acts[s]) {
                        ArrayNode r = arr.addArray();
                        for (float x : row) r.add(x);
                    }
                } else {
                    float[] v = pooling.equals("last") ? acts[s][ids.length - 1] : meanAll(acts[s]);
                    for (float x : v) arr.add(x);
                }
            }
        }
        ctx.json(out);
    }

    private static float[] meanAll(float[][] rows) {
        float[] v = new float[rows[0].length];
        for (float[] r : rows) {
            for (int j = 0; j < v.length; j++) v[j] += r[j];
        }
        for (int j = 0; j < v.length; j++) v[j] /= rows.length;
        return v;
    }

    private VectorSteering vectors() {
        if (service.steering() instanceof VectorSteering v) {
            return v;
        }
        throw new ApiException(404, "invalid_request_error", null,
                "this server has no vector sets to manage (start it with --vectors DIR)");
    }

    private void listVectors(Context ctx) {
        VectorSteering v = vectors();
        ObjectNode out = json.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (String name : v.available()) {
            ObjectNode e = data.addObject().put("id", name).put("object", "steering.vector");
            try {
                describe(e, v.set(name));
            } catch (RuntimeException ex) {
                e.put("error", ex.getMessage()); // a broken file in --vectors: listed, with why it cannot be used
            }
        }
        ArrayNode d = out.putArray("default");
        service.defaultSteering().forEach(s -> d.add(s.label()));
        ctx.json(out);
    }

    private void describe(ObjectNode e, VectorSet set) {
        e.put("site", set.kind().label()).put("width", set.width());
        ArrayNode layers = e.putArray("layers");
        set.vectors().keySet().forEach(layers::add);
        ObjectNode norms = e.putObject("norms");
        set.norms().forEach((l, n) -> norms.put(String.valueOf(l), n));
        e.set("provenance", json.valueToTree(io.jsteer.steering.vectors.VectorSetFiles.header(set)));
    }

    /**
     * Loads a set: JSON {@code {"name": N, "path": "sub/happy.safetensors"}} (a file inside --vectors;
     * a {@code .gguf} is read as a llama.cpp control vector), or the file itself as the body
     * ({@code Content-Type: application/octet-stream}, {@code ?name=N}).
     */
    private void loadVector(Context ctx) {
        VectorSteering v = vectors();
        String ct = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        String name;
        VectorSet set;
        try {
            if (ct.startsWith("application/octet-stream")) {
                name = ctx.queryParam("name");
                if (name == null) {
                    throw ApiException.badRequest("name", "an uploaded vector set needs ?name=NAME");
                }
                set = upload(ctx);
            } else {
                JsonNode root = parser.object(body.apply(ctx));
                name = text(root, "name");
                set = v.readInside(text(root, "path"));
            }
            v.load(name, set);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw ApiException.badRequest("path", e.getMessage());
        }
        ObjectNode out = json.createObjectNode().put("id", name).put("object", "steering.vector");
        describe(out, set);
        ctx.status(201).json(out);
        log.accept("jsteer serve: vector set '" + name + "' loaded (" + set.kind().label() + ", layers " + set.vectors().keySet() + ")");
    }

    /** An uploaded .safetensors vector set or control-vector GGUF (told apart by the GGUF magic). */
    private VectorSet upload(Context ctx) {
        byte[] bytes;
        try {
            if (ctx.req().getContentLengthLong() > OpenAiServer.MAX_BODY_BYTES) {
                throw new ApiException(413, "invalid_request_error", null, "the upload is larger than " + OpenAiServer.MAX_BODY_BYTES + " bytes");
            }
            bytes = ctx.req().getInputStream().readNBytes((int) OpenAiServer.MAX_BODY_BYTES + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the upload", e);
        }
        if (bytes.length > OpenAiServer.MAX_BODY_BYTES) {
            throw new ApiException(413, "invalid_request_error", null, "the upload is larger than " + OpenAiServer.MAX_BODY_BYTES + " bytes");
        }
        boolean gguf = bytes.length >= 4 && bytes[0] == 'G' && bytes[1] == 'G' && bytes[2] == 'U' && bytes[3] == 'F';
        Path dir = null;
        try {
            dir = Files.createTempDirectory("jsteer-upload");
            Path file = dir.resolve(gguf ? "upload.gguf" : "upload.safetensors");
            Files.write(file, bytes);
            try {
                return gguf ? io.jsteer.steering.vectors.ControlVectors.importFile(file)
                        : io.jsteer.steering.vectors.VectorSetFiles.read(file, service.model().config());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(String.valueOf(e.getMessage()).replace(file.toString(), "the upload"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("storing the upload", e);
        } finally {
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) Files.deleteIfExists(p);
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    log.accept("jsteer serve: could not remove the temporary upload " + dir + ": " + e.getMessage());
                }
            }
        }
    }

    private void unloadVector(Context ctx) {
        String name = ctx.pathParam("name");
        VectorSteering v = vectors();
        if (service.defaultSteering().stream().anyMatch(s -> s.vector().equals(name))) {
            // unloading it would make every request without 'steering' fail: change the default first
            throw new ApiException(409, "invalid_request_error", "name", "vector set '" + name + "' is in the default steering "
                    + "(PUT /v1/steering/default without it first)");
        }
        if (!v.unload(name)) {
            throw new ApiException(404, "invalid_request_error", "name", "no vector set named '" + name + "' is loaded");
        }
        ctx.json(json.createObjectNode().put("id", name).put("object", "steering.vector").put("deleted", true));
        log.accept("jsteer serve: vector set '" + name + "' unloaded");
    }

    private void getDefault(Context ctx) {
        ObjectNode out = json.createObjectNode();
        ArrayNode d = out.putArray("steering");
        service.defaultSteering().forEach(s -> d.add(s.label()));
        ctx.json(out);
    }

    /** {@code {"steering": [...]}} in the request field's syntax; {@code []} turns default steering off. */
    private void setDefault(Context ctx) {
        String text = body.apply(ctx);
        JsonNode root = parser.object(text);
        if (!root.has("steering") || !root.get("steering").isArray()) {
            throw ApiException.badRequest("steering", "'steering' must be an array ([] for none)");
        }
        List<SteerSpec> specs = parser.parse("{\"prompt\": \"\", \"steering\": " + root.get("steering") + "}", false).steering();
        service.setDefaultSteering(specs);
        getDefault(ctx);
        log.accept("jsteer serve: default steering now " + (specs.isEmpty() ? "none" : String.join(" + ",
                specs.stream().map(SteerSpec::label).toList())));
    }
}
