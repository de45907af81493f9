package io.jsteer.steering.kts.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.weights.InputFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Jailbreak wrappers: a name and a text holding {@code {request}}. The built-in set has the direct
 * request and three published attack styles in our own words (Wei et al. 2023: prefix injection,
 * refusal suppression; role-play as in the "DAN"-style prompts); {@code --templates FILE} reads a
 * JSON object of the same shape.
 */
public final class JailbreakTemplates {

    public static final String SLOT = "{request}";

    private JailbreakTemplates() {}

    public static Map<String, String> builtIn() throws IOException {
        try (InputStream in = JailbreakTemplates.class.getResourceAsStream("jailbreak_templates.json")) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in jailbreak_templates.json");
        }
    }

    public static Map<String, String> read(Path file) {
        return parse(InputFiles.readText("--templates", file, InputFiles.TEXT_LIMIT), file.toString());
    }

    static Map<String, String> parse(String text, String where) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": not valid JSON");
        }
        if (root == null || !root.isObject() || root.isEmpty()) {
            throw new IllegalArgumentException(where + ": must be a JSON object {\"name\": \"text with {request}\", ...}");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual() || !e.getValue().asText().contains(SLOT)) {
                throw new IllegalArgumentException(where + ": template '" + e.getKey() + "' must be a string containing " + SLOT);
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    public static String apply(String template, String request) {
        return template.replace(SLOT, request);
    }
}
