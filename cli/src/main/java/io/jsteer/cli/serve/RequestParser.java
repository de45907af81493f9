package io.jsteer.cli.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.Sampler;
import io.jsteer.model.chat.Message;
import io.jsteer.model.intervene.Strength;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads OpenAI-style request bodies (and llama-server's names for the same settings) and checks
 * every field the server acts on; a field of the wrong type or out of range is refused with 400 and
 * the field's name, never guessed at. Fields that do not change the result (user, metadata, ...) are
 * ignored; ones that would change it and are not supported (tools, response_format, ...) are refused.
 */
public final class RequestParser {

    /**
     * At most this many steering entries per request: each becomes one edit per chosen layer, so
     * the cap bounds a request's set-up work (64 is far more than any steering recipe composes).
     */
    public static final int MAX_STEERING_ENTRIES = 64;

    /** At most this many choices per request ({@code n}): each is a whole generation. */
    public static final int MAX_CHOICES = 16;

    /** At most this many alternatives per token ({@code top_logprobs}, completions' {@code logprobs}). */
    public static final int MAX_TOP_LOGPROBS = 20;

    /** At most this many chat messages: far beyond any context a served model has, and cheap to check. */
    public static final int MAX_MESSAGES = 4096;

    /** Request JSON nested deeper than this is refused while parsing (OpenAI bodies nest 4 or 5 deep). */
    static final int MAX_NESTING = 64;

    /** Fields that would change the output and that this server does not implement. */
    private static final Set<String> UNSUPPORTED = Set.of("echo", "suffix", "tools", "functions", "tool_choice",
            "function_call", "response_format", "audio", "modalities", "prediction", "web_search_options", "grammar",
            "json_schema");

    private final ObjectMapper json;
    private final String modelName;
    private final int defaultMaxTokens;
    private final int vocabSize;

    public RequestParser(ObjectMapper json, String modelName, int defaultMaxTokens) {
        this(json, modelName, defaultMaxTokens, Integer.MAX_VALUE);
    }

    /** @param vocabSize token ids in {@code logit_bias} must be below this */
    public RequestParser(ObjectMapper json, String modelName, int defaultMaxTokens, int vocabSize) {
        this.json = strict(json);
        this.modelName = modelName;
        this.defaultMaxTokens = defaultMaxTokens;
        this.vocabSize = vocabSize;
    }

    /** A copy of {@code json} that refuses what follows the object and JSON nested absurdly deep. */
    static ObjectMapper strict(ObjectMapper json) {
        ObjectMapper m = json.copy().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        m.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING).build());
        return m;
    }

    /** The body as a JSON object, or a 400 saying why not. */
    JsonNode object(String body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage().startsWith("Trailing token")
                    ? "something follows the JSON object (one object per request)" : e.getOriginalMessage();
            throw ApiException.badRequest(null, "the request body is not valid JSON: " + why
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object");
        }
        return root;
    }

    public CompletionRequest parse(String body, boolean chat) {
        JsonNode root = object(body);
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (UNSUPPORTED.contains(f.getKey()) && !isOff(f.getValue())) {
                throw ApiException.badRequest(f.getKey(), "'" + f.getKey() + "' is not supported by jsteer serve");
            }
        }
        JsonNode model = root.get("model");
        if (model != null && !model.isNull() && !model.isTextual()) {
            throw ApiException.badRequest("model", "'model' must be a string");
        }
        // any model name is accepted: this server serves one model, and clients send whatever name they know
        int n = intField(root, "n", 1, 1, MAX_CHOICES);
        if (root.hasNonNull("best_of") && intField(root, "best_of", 1, 1, MAX_CHOICES) != n) {
            throw ApiException.badRequest("best_of", "'best_of' other than n is not supported (every choice is returned)");
        }
        List<Message> messages = null;
        String prompt = null;
        if (chat) {
            messages = messages(root);
        } else {
            prompt = prompt(root);
        }
        // OpenAI's newer name first, then its older one, then llama-server's (where −1 means "to the end of the context")
        String lengthField = root.hasNonNull("max_completion_tokens") ? "max_completion_tokens"
                : root.hasNonNull("max_tokens") ? "max_tokens" : "n_predict";
        int maxTokens = intField(root, lengthField, defaultMaxTokens, lengthField.equals("n_predict") ? -1 : 0, MAX_TOKENS);
        if (maxTokens < 0) {
            maxTokens = MAX_TOKENS; // the context's end comes first
        }
        Sampler.Params sampling = sampling(root, chat);
        Long seed = root.hasNonNull("seed") ? intLikeField(root, "seed") : null;
        boolean stream = booleanField(root, "stream");
        boolean includeUsage = false;
        JsonNode options = root.get("stream_options");
        if (options != null && !options.isNull()) {
            if (!stream) {
                throw ApiException.badRequest("stream_options", "'stream_options' is only allowed with \"stream\": true");
            }
            if (!options.isObject()) {
                throw ApiException.badRequest("stream_options", "'stream_options' must be an object like {\"include_usage\": true}");
            }
            includeUsage = booleanField(options, "include_usage", "stream_options.include_usage");
        }
        List<String> stop = stop(root);
        List<SteerSpec> steering = steering(root);
        Boolean mat = root.hasNonNull("mat") ? booleanField(root, "mat") : null;
        return new CompletionRequest(chat, messages, prompt, maxTokens, sampling, seed, stop, stream, steering, mat, n,
                sampling.topLogprobs(), includeUsage);
    }

    /** The most new tokens a request may ask for (the context ends generation long before). */
    static final int MAX_TOKENS = 1_000_000;

    /** The sampling fields of both APIs (OpenAI's and llama-server's), each checked against its range. */
    private Sampler.Params sampling(JsonNode root, boolean chat) {
        float temperature = (float) numberField(root, "temperature", 1.0, 0, 2);
        float topP = (float) numberField(root, "top_p", 1.0, 0, 1);
        if (root.hasNonNull("top_p") && topP == 0f) {
            throw ApiException.badRequest("top_p", "'top_p' must be greater than 0");
        }
        int topK = intField(root, "top_k", 0, 0, 1_000_000);
        float minP = (float) numberField(root, "min_p", 0, 0, 1);
        float repeat = (float) numberField(root, "repeat_penalty", 1, 0, 10);
        if (repeat == 0f) {
            throw ApiException.badRequest("repeat_penalty", "'repeat_penalty' must be greater than 0 (1 = off)");
        }
        float presence = (float) numberField(root, "presence_penalty", 0, -2, 2);
        float frequency = (float) numberField(root, "frequency_penalty", 0, -2, 2);
        int window = intField(root, "repeat_last_n", 64, -1, 1_000_000);
        return new Sampler.Params(temperature, topP, topK, minP, repeat, presence, frequency, window, logitBias(root),
                logprobs(root, chat));
    }

    /** {@code {"token id": bias}}, bias in [−100, 100] as OpenAI's; ids must be in the vocabulary. */
    private Map<Integer, Float> logitBias(JsonNode root) {
        JsonNode b = root.get("logit_bias");
        if (b == null || b.isNull()) {
            return Map.of();
        }
        if (!b.isObject()) {
            throw ApiException.badRequest("logit_bias", "'logit_bias' must be an object mapping token ids to biases, e.g. {\"50256\": -100}");
        }
        Map<Integer, Float> out = new java.util.HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = b.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw ApiException.badRequest("logit_bias", "'logit_bias' key '" + truncate(e.getKey()) + "' is not a token id");
            }
            if (id < 0 || id >= vocabSize) {
                throw ApiException.badRequest("logit_bias", "'logit_bias' token id " + id + " is not in the vocabulary (0 to "
                        + (vocabSize - 1) + ")");
            }
            if (!e.getValue().isNumber() || !(Math.abs(e.getValue().asDouble()) <= 100)) {
                throw ApiException.badRequest("logit_bias", "'logit_bias' of token " + id + " must be a number between -100 and 100");
            }
            out.put(id, (float) e.getValue().asDouble());
        }
        return out;
    }

    /**
     * Chat: {@code logprobs: true} with {@code top_logprobs: k}; completions: {@code logprobs: k}.
     * −1 when log-probabilities are not asked for.
     */
    private static int logprobs(JsonNode root, boolean chat) {
        if (chat) {
            boolean on = booleanField(root, "logprobs");
            if (root.hasNonNull("top_logprobs") && !on) {
                throw ApiException.badRequest("top_logprobs", "'top_logprobs' needs \"logprobs\": true");
            }
            return on ? intField(root, "top_logprobs", 0, 0, MAX_TOP_LOGPROBS) : -1;
        }
        if (root.hasNonNull("logprobs") && root.get("logprobs").isBoolean()) { // some clients send the chat form here too
            return root.get("logprobs").asBoolean() ? intField(root, "top_logprobs", 0, 0, MAX_TOP_LOGPROBS) : -1;
        }
        return intField(root, "logprobs", -1, 0, MAX_TOP_LOGPROBS);
    }

    private static String truncate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** Whether an unsupported field is sent with a value that asks for nothing ({@code response_format: {type: text}} too). */
    private static boolean isOff(JsonNode v) {
        return v.isNull() || (v.isObject() && v.size() == 1 && "text".equals(v.path("type").asText(null))) || (v.isBoolean() && !v.asBoolean()) || (v.isNumber() && v.asDouble() == 0)
                || (v.isObject() && v.isEmpty()) || (v.isArray() && v.isEmpty());
    }

    private static List<Message> messages(JsonNode root) {
        JsonNode arr = root.get("messages");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            throw ApiException.badRequest("messages", "'messages' must be a non-empty array of {role, content}");
        }
        if (arr.size() > MAX_MESSAGES) {
            throw ApiException.badRequest("messages", "'messages' has " + arr.size() + " entries; at most " + MAX_MESSAGES
                    + " are allowed");
        }
        List<Message> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode m = arr.get(i);
            String where = "messages[" + i + "]";
            if (!m.isObject()) {
                throw ApiException.badRequest(where, "'" + where + "' must be an object with role and content");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) {
                throw ApiException.badRequest(where + ".role", "'" + where + ".role' must be a string");
            }
            String r = role.asText();
            if (!r.equals(Message.SYSTEM) && !r.equals(Message.USER) && !r.equals(Message.ASSISTANT)) {
                throw ApiException.badRequest(where + ".role", "'" + where + ".role' must be system, user or assistant, got '" + r + "'");
            }
            out.add(new Message(r, content(m.get("content"), where + ".content")));
        }
        return out;
    }

    /** A string, or an array of {type: text, text} parts as newer clients send. */
    private static String content(JsonNode c, String where) {
        if (c != null && c.isTextual()) {
            return c.asText();
        }
        if (c != null && c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest(where + "[" + i + "]", "'" + where + "[" + i + "]' must be a text part "
                            + "{\"type\": \"text\", \"text\": ...} (images and audio are not supported)");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw ApiException.badRequest(where, "'" + where + "' must be a string");
    }

    private static String prompt(JsonNode root) {
        JsonNode p = root.get("prompt");
        if (p == null || p.isNull()) {
            return "";
        }
        if (p.isTextual()) {
            return p.asText();
        }
        if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            return p.get(0).asText();
        }
        throw ApiException.badRequest("prompt", "'prompt' must be a string (or an array of exactly one string)");
    }

    private static List<String> stop(JsonNode root) {
        JsonNode s = root.get("stop");
        if (s == null || s.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray() && s.size() <= 4) {
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw ApiException.badRequest("stop", "'stop' must be a string or an array of up to 4 strings");
                }
                out.add(e.asText());
            }
        } else {
            throw ApiException.badRequest("stop", "'stop' must be a string or an array of up to 4 strings");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiException.badRequest("stop", "'stop' strings must not be empty");
        }
        return out;
    }

    /**
     * The jsteer extension: {@code "steering": [{"vector": "happy", "strength": 4, "layers": "3",
     * "positions": "all", "raw": false}]}, or the command-line form {@code ["happy:4@3"]}; {@code []} =
     * unsteered. The strength is a length along the unit direction; {@code "raw": true} (or
     * {@code "happy:4:raw"}) multiplies the stored vector.
     */
    private static List<SteerSpec> steering(JsonNode root) {
        JsonNode s = root.get("steering");
        if (s == null || s.isNull()) {
            return null;
        }
        if (!s.isArray()) {
            throw ApiException.badRequest("steering", "'steering' must be an array of {vector, strength, layers, positions} "
                    + "objects or \"NAME[:STRENGTH][@LAYERS]\" strings");
        }
        if (s.size() > MAX_STEERING_ENTRIES) {
            throw ApiException.badRequest("steering", "'steering' has " + s.size() + " entries; at most " + MAX_STEERING_ENTRIES
                    + " are allowed per request");
        }
        List<SteerSpec> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            JsonNode e = s.get(i);
            String where = "steering[" + i + "]";
            if (e.isTextual()) {
                try {
                    out.add(SteerSpec.parse(e.asText()));
                } catch (IllegalArgumentException ex) {
                    throw ApiException.badRequest(where, ex.getMessage());
                }
                continue;
            }
            if (!e.isObject() || !e.path("vector").isTextual()) {
                throw ApiException.badRequest(where + ".vector", "'" + where + ".vector' must name a vector set (a string)");
            }
            double strength = 1;
            if (e.has("strength")) {
                if (!e.get("strength").isNumber()) {
                    throw ApiException.badRequest(where + ".strength", "'" + where + ".strength' must be a finite number");
                }
                try {
                    strength = Strength.check("'" + where + ".strength'", e.get("strength").asDouble());
                } catch (IllegalArgumentException ex) {
                    throw ApiException.badRequest(where + ".strength", ex.getMessage());
                }
            }
            String layers = optionalText(e, "layers", where);
            String positions = optionalText(e, "positions", where);
            JsonNode raw = e.get("raw");
            if (raw != null && !raw.isBoolean()) {
                throw ApiException.badRequest(where + ".raw", "'" + where + ".raw' must be true or false");
            }
            out.add(new SteerSpec(e.get("vector").asText(), (float) strength, layers, positions, raw != null && raw.asBoolean()));
        }
        return out;
    }

    private static String optionalText(JsonNode e, String name, String where) {
        JsonNode v = e.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isInt()) {
            return v.asText();
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(where + "." + name, "'" + where + "." + name + "' must be a string");
        }
        return v.asText();
    }

    static int intField(JsonNode root, String name, int dflt, int min, int max) {
        if (!root.hasNonNull(name)) {
            return dflt;
        }
        long v = intLikeField(root, name);
        if (v < min || v > max) {
            throw ApiException.badRequest(name, "'" + name + "' must be between " + min + " and " + max + ", got " + v);
        }
        return (int) v;
    }

    static long intLikeField(JsonNode root, String name) {
        JsonNode v = root.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.badRequest(name, "'" + name + "' must be an integer");
        }
        return v.asLong();
    }

    static double numberField(JsonNode root, String name, double dflt, double min, double max) {
        if (!root.hasNonNull(name)) {
            return dflt;
        }
        JsonNode v = root.get(name);
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            throw ApiException.badRequest(name, "'" + name + "' must be a number between " + min + " and " + max);
        }
        return v.asDouble();
    }

    static boolean booleanField(JsonNode root, String name) {
        return booleanField(root, name, name);
    }

    /** @param label the field's full name for the error (e.g. {@code stream_options.include_usage}) */
    static boolean booleanField(JsonNode root, String name, String label) {
        if (!root.hasNonNull(name)) {
            return false;
        }
        if (!root.get(name).isBoolean()) {
            throw ApiException.badRequest(label, "'" + label + "' must be true or false");
        }
        return root.get(name).asBoolean();
    }
}
