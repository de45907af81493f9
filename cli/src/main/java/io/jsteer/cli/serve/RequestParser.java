package io.jsteer.cli.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.chat.Message;
import io.jsteer.model.intervene.Strength;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads OpenAI-style request bodies and checks every field the server acts on; a field of the
 * wrong type or out of range is refused with 400 and the field's name, never guessed at. Fields
 * OpenAI clients send that do not change greedy/top-p generation (user, logit_bias of null, ...)
 * are ignored; ones that would change the result and are not supported are refused.
 */
public final class RequestParser {

    /**
     * At most this many steering entries per request: each becomes one edit per chosen layer, so
     * the cap bounds a request's set-up work (64 is far more than any steering recipe composes).
     */
    public static final int MAX_STEERING_ENTRIES = 64;

    /** Fields that would change the output and that this server does not implement. */
    private static final Set<String> UNSUPPORTED = Set.of("logprobs", "top_logprobs", "echo", "best_of", "suffix",
            "tools", "functions", "tool_choice", "function_call", "response_format", "presence_penalty",
            "frequency_penalty", "logit_bias");

    private final ObjectMapper json;
    private final String modelName;
    private final int defaultMaxTokens;

    public RequestParser(ObjectMapper json, String modelName, int defaultMaxTokens) {
        this.json = json;
        this.modelName = modelName;
        this.defaultMaxTokens = defaultMaxTokens;
    }

    public CompletionRequest parse(String body, boolean chat) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "the request body is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        }
        if (root == null || !root.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (UNSUPPORTED.contains(f.getKey()) && !isOff(f.getValue())) {
                throw ApiException.badRequest(f.getKey(), "'" + f.getKey() + "' is not supported by jsteer serve");
            }
        }
        JsonNode model = root.get("model");
        if (model != null && !model.isNull()) {
            if (!model.isTextual()) {
                throw ApiException.badRequest("model", "'model' must be a string");
            }
            if (!model.asText().equals(modelName)) {
                throw new ApiException(404, "invalid_request_error", "model",
                        "model '" + model.asText() + "' is not served here (this server serves '" + modelName + "')");
            }
        }
        if (root.hasNonNull("n") && !(root.get("n").isIntegralNumber() && root.get("n").asLong() == 1)) {
            throw ApiException.badRequest("n", "only 'n': 1 is supported (one choice per request)");
        }
        List<Message> messages = null;
        String prompt = null;
        if (chat) {
            messages = messages(root);
        } else {
            prompt = prompt(root);
        }
        int maxTokens = intField(root, root.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                defaultMaxTokens, 0, 1_000_000);
        float temperature = (float) numberField(root, "temperature", 1.0, 0, 2);
        float topP = (float) numberField(root, "top_p", 1.0, 0, 1);
        if (root.has("top_p") && topP == 0f) {
            throw ApiException.badRequest("top_p", "'top_p' must be greater than 0");
        }
        Long seed = root.hasNonNull("seed") ? (long) intLikeField(root, "seed") : null;
        boolean stream = booleanField(root, "stream");
        List<String> stop = stop(root);
        List<SteerSpec> steering = steering(root);
        Boolean mat = root.hasNonNull("mat") ? booleanField(root, "mat") : null;
        return new CompletionRequest(chat, messages, prompt, maxTokens, temperature, topP, seed, stop, stream, steering, mat);
    }

    private static boolean isOff(JsonNode v) {
        return v.isNull() || (v.isBoolean() && !v.asBoolean()) || (v.isNumber() && v.asDouble() == 0)
                || (v.isObject() && v.isEmpty()) || (v.isArray() && v.isEmpty());
    }

    private static List<Message> messages(JsonNode root) {
        JsonNode arr = root.get("messages");
        if (arr == null || !arr.isArray() || arr.isEmpty()) {
            throw ApiException.badRequest("messages", "'messages' must be a non-empty array of {role, content}");
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
     * "positions": "all"}]}, or the command-line form {@code ["happy:4@3"]}; {@code []} = unsteered.
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
            out.add(new SteerSpec(e.get("vector").asText(), (float) strength, layers, positions));
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

    private static int intField(JsonNode root, String name, int dflt, int min, int max) {
        if (!root.hasNonNull(name)) {
            return dflt;
        }
        long v = intLikeField(root, name);
        if (v < min || v > max) {
            throw ApiException.badRequest(name, "'" + name + "' must be between " + min + " and " + max + ", got " + v);
        }
        return (int) v;
    }

    private static long intLikeField(JsonNode root, String name) {
        JsonNode v = root.get(name);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw ApiException.badRequest(name, "'" + name + "' must be an integer");
        }
        return v.asLong();
    }

    private static double numberField(JsonNode root, String name, double dflt, double min, double max) {
        if (!root.hasNonNull(name)) {
            return dflt;
        }
        JsonNode v = root.get(name);
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            throw ApiException.badRequest(name, "'" + name + "' must be a number between " + min + " and " + max);
        }
        return v.asDouble();
    }

    private static boolean booleanField(JsonNode root, String name) {
        if (!root.hasNonNull(name)) {
            return false;
        }
        if (!root.get(name).isBoolean()) {
            throw ApiException.badRequest(name, "'" + name + "' must be true or false");
        }
        return root.get(name).asBoolean();
    }
}
