package io.jsteer.model.tokenizer;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} whose model is BPE: either SentencePiece-style
 * (byte fallback, {@code ▁} for spaces; Llama 1/2, Mistral) or byte-level (ByteLevel
 * pre-tokenizer; Llama 3). Vocabulary ids must be contiguous from 0 (regular vocabulary and
 * added tokens together), as they are for every real Llama tokenizer.
 */
public final class HuggingFaceTokenizerReader {
    private HuggingFaceTokenizerReader() {
    }

    /**
     * Reads {@code tokenizer.json}; when a {@code tokenizer_config.json} lies beside it, its
     * {@code bos_token}, {@code eos_token} and {@code add_bos_token} decide those roles (Qwen's
     * end of sequence, for one, is named only there).
     */
    public static Vocabulary read(Path path) {
        Vocabulary vocabulary = parse(path.toString(), TokenizerFiles.readAll(path));
        Path config = path.toAbsolutePath().resolveSibling(CONFIG_FILE);
        return java.nio.file.Files.isRegularFile(config) ? applyConfig(vocabulary, config) : vocabulary;
    }

    /** The Hugging Face file beside tokenizer.json with special-token roles and the chat template. */
    public static final String CONFIG_FILE = "tokenizer_config.json";

    static Vocabulary applyConfig(Vocabulary v, Path configPath) {
        JsonNode config = TokenizerFiles.readJsonObject(configPath);
        String source = configPath.toString();
        int bos = configuredToken(source, config, "bos_token", v, v.bos());
        int eos = configuredToken(source, config, "eos_token", v, v.eos());
        JsonNode addBosNode = config.path("add_bos_token");
        boolean addBos = addBosNode.isBoolean() ? addBosNode.booleanValue() && bos >= 0 : bos >= 0;
        return new Vocabulary(v.kind(), v.pieces(), v.scores(), v.tokenTypes(), v.merges(), bos, eos, v.unk(), addBos,
                v.preTokenizer());
    }

    /**
     * The id of the token a config names ({@code "<s>"} or {@code {"content": "<s>", ...}});
     * {@code fallback} when the key is absent, -1 when it is null.
     */
    private static int configuredToken(String source, JsonNode config, String key, Vocabulary v, int fallback) {
        JsonNode node = config.path(key);
        if (node.isMissingNode()) {
            return fallback;
        }
        if (node.isNull()) {
            return -1;
        }
        String text = node.isTextual() ? node.asText() : node.path("content").isTextual() ? node.path("content").asText() : null;
        if (text == null) {
            throw new TokenizerFormatException(source, key, "expected a string or an object with 'content', got " + node);
        }
        int id = firstPresent(v.pieces(), text);
        if (id < 0) {
            throw new TokenizerFormatException(source, key, "'" + text + "' is not a token of the vocabulary beside it");
        }
        return id;
    }

    static Vocabulary parse(String source, byte[] json) {
        JsonNode root;
        String text;
        try {
            text = InputFiles.decodeUtf8("", json);
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(source, "(bytes)", e.getMessage(), e);
        }
        try {
            root = new ObjectMapper().readTree(text);
        } catch (JacksonException e) {
            throw new TokenizerFormatException(source, "(json)", "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (java.io.IOException e) {
            throw new TokenizerFormatException(source, "(json)", "cannot parse: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(source, "(root)", "expected a JSON object");
        }
        JsonNode model = root.path("model");
        String modelType = model.path("type").asText("");
        if (!modelType.equals("BPE")) {
            throw new TokenizerFormatException(source, "model.type", "'" + modelType + "' is not supported (only BPE)");
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject() || vocab.isEmpty()) {
            throw new TokenizerFormatException(source, "model.vocab", "missing or empty");
        }
        JsonNode added = root.path("added_tokens");
        int entries = vocab.size() + (added.isArray() ? added.size() : 0);
        String[] pieces = new String[entries];
        int[] types = new int[entries];
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = checkedId(source, "model.vocab[" + e.getKey() + "]", e.getValue(), entries);
            pieces[id] = e.getKey();
            types[id] = PieceLookup.parseByteToken(e.getKey()) >= 0 ? TokenType.BYTE : TokenType.NORMAL;
            maxId = Math.max(maxId, id);
        }
        String unkToken = model.path("unk_token").asText(null);
        if (added.isArray()) {
            for (int i = 0; i < added.size(); i++) {
                JsonNode token = added.get(i);
                int id = checkedId(source, "added_tokens[" + i + "].id", token.path("id"), entries);
                String content = token.path("content").asText(null);
                if (content == null || content.isEmpty()) {
                    throw new TokenizerFormatException(source, "added_tokens[" + i + "].content", "missing or empty");
                }
                pieces[id] = content;
                types[id] = content.equals(unkToken) ? TokenType.UNKNOWN
                        : token.path("special").asBoolean(false) ? TokenType.CONTROL : TokenType.USER_DEFINED;
                maxId = Math.max(maxId, id);
            }
        }
        int size = maxId + 1;
        for (int id = 0; id < size; id++) {
            if (pieces[id] == null) {
                throw new TokenizerFormatException(source, "model.vocab", "ids are not contiguous: id " + id + " is missing");
            }
        }
        pieces = java.util.Arrays.copyOf(pieces, size);
        types = java.util.Arrays.copyOf(types, size);
        List<String> merges = readMerges(source, model.path("merges"));
        boolean byteLevel = mentionsByteLevel(root.path("pre_tokenizer")) || mentionsByteLevel(root.path("decoder"));
        Vocabulary.Kind kind = byteLevel ? Vocabulary.Kind.BYTE_LEVEL_BPE : Vocabulary.Kind.SENTENCEPIECE_BPE;
        String preTokenizer = byteLevel ? byteLevelPreTokenizer(source, root.path("pre_tokenizer")) : "default";
        if (byteLevel) {
            checkNormalizer(source, root.path("normalizer"), preTokenizer);
        }
        float[] scores = scoresFromMerges(pieces, merges);
        int bos = firstPresent(pieces, "<s>", "<|begin_of_text|>");
        int eos = firstPresent(pieces, "</s>", "<|end_of_text|>", "<|endoftext|>");
        int unk = unkToken == null ? -1 : firstPresent(pieces, unkToken);
        return new Vocabulary(kind, pieces, scores, types, merges, bos, eos, unk, bos >= 0, preTokenizer);
    }

    private static int checkedId(String source, String field, JsonNode node, int entries) {
        if (!node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new TokenizerFormatException(source, field, "id is not an integer: " + node);
        }
        int id = node.intValue();
        if (id < 0 || id >= entries) {
            throw new TokenizerFormatException(source, field, "id " + id + " outside 0.." + (entries - 1)
                    + " (the file has " + entries + " tokens and ids must be contiguous)");
        }
        return id;
    }

    /** Merges come as "left right" strings (older files) or as [left, right] pairs (newer files). */
    private static List<String> readMerges(String source, JsonNode node) {
        List<String> merges = new ArrayList<>();
        if (node.isMissingNode() || node.isNull()) {
            return merges;
        }
        if (!node.isArray()) {
            throw new TokenizerFormatException(source, "model.merges", "not an array");
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (m.isTextual() && m.asText().indexOf(' ', 1) > 0) {
                merges.add(m.asText());
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(m.get(0).asText() + ' ' + m.get(1).asText());
            } else {
                throw new TokenizerFormatException(source, "model.merges[" + i + "]", "not a merge pair: " + m);
            }
        }
        return merges;
    }

    private static boolean mentionsByteLevel(JsonNode node) {
        if (node.isObject()) {
            if ("ByteLevel".equals(node.path("type").asText())) {
                return true;
            }
            for (JsonNode child : node) {
                if (mentionsByteLevel(child)) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode child : node) {
                if (mentionsByteLevel(child)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Maps the pre-tokenizer configuration to one of the regexes {@link PreTokenizer} knows. */
    private static String byteLevelPreTokenizer(String source, JsonNode pre) {
        List<String> regexes = new ArrayList<>();
        collectSplitRegexes(pre, regexes);
        if (regexes.isEmpty()) {
            return "gpt2"; // ByteLevel with use_regex: GPT-2's pattern
        }
        if (regexes.size() == 1 && regexes.getFirst().equals(PreTokenizer.LLAMA3_REGEX)) {
            return "llama-bpe";
        }
        if (regexes.size() == 1 && regexes.getFirst().equals(PreTokenizer.QWEN2_REGEX)) {
            return "qwen2";
        }
        throw new TokenizerFormatException(source, "pre_tokenizer", "unsupported split pattern(s) " + regexes);
    }

    /**
     * Byte-level files normalize either not at all or, in the Qwen2 family, to NFC; the tokenizer
     * applies exactly what the pre-tokenizer implies, so anything else would be silently ignored.
     */
    private static void checkNormalizer(String source, JsonNode normalizer, String preTokenizer) {
        String declared = normalizer.isMissingNode() || normalizer.isNull() ? "none" : normalizer.path("type").asText("?");
        String applied = ByteLevelBpeTokenizer.normalizesToNfc(preTokenizer) ? "NFC" : "none";
        if (!declared.equals(applied)) {
            throw new TokenizerFormatException(source, "normalizer", "'" + declared + "' is not supported with pre-tokenizer '"
                    + preTokenizer + "' (supported: " + applied + ")");
        }
    }

    private static void collectSplitRegexes(JsonNode node, List<String> out) {
        if (node.isObject() && "Split".equals(node.path("type").asText())) {
            out.add(node.path("pattern").path("Regex").asText(""));
        }
        if (node.isContainerNode()) {
            node.forEach(child -> collectSplitRegexes(child, out));
        }
    }

    /**
     * SentencePiece-style scores for the encoder that needs them (llama2.c's): a merged piece
     * scores minus the rank of the first merge that builds it, so earlier merges score higher.
     */
    private static float[] scoresFromMerges(String[] pieces, List<String> merges) {
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
        float[] scores = new float[pieces.length];
        boolean[] set = new boolean[pieces.length];
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int space = m.indexOf(' ', 1);
            Integer id = ids.get(m.substring(0, space) + m.substring(space + 1));
            if (id != null && !set[id]) {
                scores[id] = -rank - 1;
                set[id] = true;
            }
        }
        return scores;
    }

    private static int firstPresent(String[] pieces, String... candidates) {
        for (String c : candidates) {
            for (int i = 0; i < pieces.length; i++) {
                if (pieces[i].equals(c)) {
                    return i;
                }
            }
        }
        return -1;
    }
}
