package io.jsteer.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's own tokenizer test for the Llama 2 SentencePiece vocabulary: every input of
 * ggml-vocab-llama-spm.gguf.inp must encode (without BOS) to the ids on the same line of .out.
 * The vocabulary is read from tokenizer.model, which holds the same pieces and scores.
 */
class GgmlVocabTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    static List<String> inputs() throws IOException {
        String inp = Files.readString(SharedFiles.model("ggml-vocab-llama-spm.gguf.inp"), StandardCharsets.UTF_8);
        // Each input is followed by a separator line; the file ends with one.
        List<String> inputs = new ArrayList<>(Arrays.asList(inp.split(SEPARATOR, -1)));
        assertEquals("", inputs.removeLast(), "file must end with a separator line");
        return inputs;
    }

    static List<String> expectedLines() throws IOException {
        return Files.readAllLines(SharedFiles.model("ggml-vocab-llama-spm.gguf.out"), StandardCharsets.UTF_8);
    }

    @Test
    void everyLineMatchesLlamaCpp() throws IOException {
        Tokenizer tokenizer = Tokenizers.sentencePieceModel(SharedFiles.model("tokenizer.model"));
        List<String> inputs = inputs();
        List<String> expected = expectedLines();
        assertEquals(expected.size(), inputs.size(), "inputs vs expected lines");
        assertEquals(46, inputs.size());
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids = tokenizer.encode(inputs.get(i), false);
            String actual = Arrays.stream(ids).mapToObj(id -> " " + id).collect(Collectors.joining());
            if (!actual.equals(expected.get(i))) {
                mismatches.add("input " + i + " " + escape(inputs.get(i)) + "\n  expected" + expected.get(i) + "\n  actual  " + actual);
            }
            // And back: SentencePiece decoding inverts the encoding for all of these inputs.
            assertEquals(inputs.get(i), tokenizer.decode(ids), "round trip of input " + i);
        }
        assertEquals(List.of(), mismatches);
    }

    static String escape(String s) {
        return "\"" + s.replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }
}
