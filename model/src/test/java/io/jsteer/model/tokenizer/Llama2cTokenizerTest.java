package io.jsteer.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** run.c semantics with the llama2.c tokenizer files; expected ids from MANIFEST.md / llama2.c test.c. */
class Llama2cTokenizerTest {
    private static final Tokenizer TOK512 = Tokenizers.llama2c(SharedFiles.model("tok512.bin"), 512);
    private static final Tokenizer LLAMA2 = Tokenizers.llama2c(SharedFiles.model("tokenizer.bin"), 32000);

    @Test
    void tok512ReferenceEncodings() {
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, TOK512.encode("Once upon a time", true));
        assertArrayEquals(new int[] {1, 317, 269, 274, 287, 263, 377, 267, 265, 282, 295, 433, 426},
                TOK512.encode("Lily and Tom went to the park.", true));
    }

    @Test
    void tokenizerBinReferenceEncodings() {
        assertArrayEquals(new int[] {1, 306, 4658, 278, 6593, 310, 2834, 338},
                LLAMA2.encode("I believe the meaning of life is", true));
        assertArrayEquals(new int[] {1, 3439, 17632, 1925, 29892, 278, 6368, 310, 14215, 537, 5922, 393, 29871},
                LLAMA2.encode("Simply put, the theory of relativity states that ", true));
        assertArrayEquals(new int[] {1, 9038, 2501, 263, 931}, LLAMA2.encode("Once upon a time", true));
        assertArrayEquals(new int[] {1, 15043, 3186}, LLAMA2.encode("Hello world", true));
        assertArrayEquals(new int[] {15043, 3186}, LLAMA2.encode("Hello world", false));
        assertArrayEquals(new int[] {1}, LLAMA2.encode("", true));
    }

    @Test
    void vocabularyIsNormalizedToSentencePieceSpelling() {
        assertEquals(512, TOK512.vocabSize());
        assertEquals("<s>", TOK512.piece(1));
        assertEquals("</s>", TOK512.piece(2));
        assertEquals("<0x0A>", TOK512.piece(13));
        assertEquals("\u2581Once", TOK512.piece(403));
        assertEquals(1, TOK512.bos());
        assertEquals(2, TOK512.eos());
        assertEquals(true, TOK512.isSpecial(1));
        assertEquals(false, TOK512.isSpecial(403));
    }

    @Test
    void byteFallbackForCharactersOutsideTok512() {
        // 'ü' is not among tok512's 512 pieces: its UTF-8 bytes 0xC3 0xBC become ids 0xC3+3, 0xBC+3
        // after the dummy-prefix token '▁' (410).
        int[] ids = TOK512.encode("ü", false);
        assertArrayEquals(new int[] {410, 0xC3 + 3, 0xBC + 3}, ids);
        assertEquals("ü", TOK512.decode(ids));
    }

    @Test
    void decodeRoundTrips() {
        for (String s : new String[] {"Once upon a time", "Lily and Tom went to the park.", " two  spaces\n",
                "emoji 🚀 and 日本語", "tabs\tand\nnewlines"}) {
            assertEquals(s, LLAMA2.decode(LLAMA2.encode(s, true)), s);
            assertEquals(s, TOK512.decode(TOK512.encode(s, true)), s);
        }
    }

    @Test
    void greedyStoryDecodesWithStreamingDecoder() {
        int[] story = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376};
        StreamingDecoder decoder = TOK512.newDecoder();
        StringBuilder text = new StringBuilder();
        for (int id : story) {
            text.append(decoder.accept(id));
        }
        assertEquals("Once upon a time, there was a little", text.toString());
    }
}
