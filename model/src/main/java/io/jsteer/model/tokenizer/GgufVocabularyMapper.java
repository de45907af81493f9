package io.jsteer.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the {@code tokenizer.ggml.*} metadata keys of a GGUF file into a {@link Vocabulary}. */
final class GgufVocabularyMapper {
    private static final String SOURCE = "GGUF metadata";
    private static final String PREFIX = "tokenizer.ggml.";

    private GgufVocabularyMapper() {
    }

    static Vocabulary map(Map<String, Object> meta) {
        Object modelValue = meta.get(PREFIX + "model");
        if (!(modelValue instanceof String model)) {
            throw new TokenizerFormatException(SOURCE, PREFIX + "model", "missing or not a string: " + modelValue);
        }
        Vocabulary.Kind kind = switch (model) {
            case "llama" -> Vocabulary.Kind.SENTENCEPIECE_BPE;
            case "gpt2" -> Vocabulary.Kind.BYTE_LEVEL_BPE;
            default -> throw new TokenizerFormatException(SOURCE, PREFIX + "model",
                    "unsupported tokenizer model '" + model + "' (supported: llama, gpt2)");
        };
        List<?> tokens = list(meta, PREFIX + "tokens", true);
        int n = tokens.size();
        String[] pieces = new String[n];
        for (int i = 0; i < n; i++) {
            if (!(tokens.get(i) instanceof String s)) {
                throw new TokenizerFormatException(SOURCE, PREFIX + "tokens", "element " + i + " is not a string: " + tokens.get(i));
            }
            pieces[i] = s;
        }
        float[] scores = new float[n];
        List<?> scoreList = list(meta, PREFIX + "scores", false);
        if (scoreList != null) {
            requireSize(PREFIX + "scores", scoreList, n);
            for (int i = 0; i < n; i++) {
                scores[i] = number(PREFIX + "scores", scoreList.get(i), i).floatValue();
            }
        }
        int[] types = new int[n];
        List<?> typeList = list(meta, PREFIX + "token_type", false);
        for (int i = 0; i < n; i++) {
            types[i] = TokenType.NORMAL;
        }
        if (typeList != null) {
            requireSize(PREFIX + "token_type", typeList, n);
            for (int i = 0; i < n; i++) {
                types[i] = number(PREFIX + "token_type", typeList.get(i), i).intValue();
            }
        }
        List<String> merges = new ArrayList<>();
        List<?> mergeList = list(meta, PREFIX + "merges", false);
        if (mergeList != null) {
            for (int i = 0; i < mergeList.size(); i++) {
                if (!(mergeList.get(i) instanceof String m) || m.indexOf(' ', 1) < 0) {
                    throw new TokenizerFormatException(SOURCE, PREFIX + "merges",
                            "element " + i + " is not a 'left right' string: " + mergeList.get(i));
                }
                merges.add(m);
            }
        }
        if (kind == Vocabulary.Kind.BYTE_LEVEL_BPE && merges.isEmpty()) {
            throw new TokenizerFormatException(SOURCE, PREFIX + "merges", "a gpt2 tokenizer needs merges, found none");
        }
        int bos = optionalId(meta, PREFIX + "bos_token_id");
        int eos = optionalId(meta, PREFIX + "eos_token_id");
        int unk = optionalId(meta, PREFIX + "unknown_token_id");
        Object addBosValue = meta.get(PREFIX + "add_bos_token");
        boolean addBos = addBosValue instanceof Boolean b ? b : kind == Vocabulary.Kind.SENTENCEPIECE_BPE || bos >= 0;
        Object pre = meta.get(PREFIX + "pre");
        String preTokenizer = pre instanceof String s ? s : "default";
        try {
            return new Vocabulary(kind, pieces, scores, types, merges, bos, eos, unk, addBos, preTokenizer);
        } catch (TokenizerFormatException e) {
            throw new TokenizerFormatException(SOURCE, "tokenizer.ggml.*", e.getMessage(), e);
        }
    }

    private static List<?> list(Map<String, Object> meta, String key, boolean required) {
        Object value = meta.get(key);
        if (value == null && !required) {
            return null;
        }
        if (!(value instanceof List<?> l)) {
            throw new TokenizerFormatException(SOURCE, key, "missing or not an array: " + describe(value));
        }
        return l;
    }

    private static void requireSize(String key, List<?> list, int n) {
        if (list.size() != n) {
            throw new TokenizerFormatException(SOURCE, key, "has " + list.size() + " elements, expected " + n + " (one per token)");
        }
    }

    private static Number number(String key, Object value, int index) {
        if (value instanceof Number num) {
            return num;
        }
        throw new TokenizerFormatException(SOURCE, key, "element " + index + " is not a number: " + describe(value));
    }

    /** GGUF stores ids as uint32; 0xFFFFFFFF (or a negative int after a signed read) means "none". */
    private static int optionalId(Map<String, Object> meta, String key) {
        Object value = meta.get(key);
        if (value == null) {
            return -1;
        }
        if (!(value instanceof Number num)) {
            throw new TokenizerFormatException(SOURCE, key, "not a number: " + describe(value));
        }
        long id = num.longValue();
        if (id == 0xFFFFFFFFL || id == -1) {
            return -1;
        }
        if (id < 0 || id > Integer.MAX_VALUE) {
            throw new TokenizerFormatException(SOURCE, key, "invalid token id " + id);
        }
        return (int) id;
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }
}
