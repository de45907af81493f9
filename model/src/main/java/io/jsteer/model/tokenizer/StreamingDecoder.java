package io.jsteer.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes generated tokens one at a time. A code point split over several byte tokens (emoji,
 * CJK) is held back until its last byte arrives, so every returned string is valid text.
 * Not thread-safe: one instance per sequence.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[0];
    private int previousId = -1;

    StreamingDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Accepts the next token and returns the text that is now complete (possibly empty). */
    public String accept(int id) {
        byte[] bytes = tokenizer.tokenBytes(id);
        // As llama2.c run.c: the first piece after BOS carries SentencePiece's dummy-prefix space.
        if (tokenizer.stripsLeadingSpace() && previousId == tokenizer.bos() && previousId >= 0
                && pending.length == 0 && bytes.length > 0 && bytes[0] == ' ') {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        previousId = id;
        byte[] all = Arrays.copyOf(pending, pending.length + bytes.length);
        System.arraycopy(bytes, 0, all, pending.length, bytes.length);
        int complete = completePrefixLength(all);
        pending = Arrays.copyOfRange(all, complete, all.length);
        return new String(all, 0, complete, StandardCharsets.UTF_8);
    }

    /** Returns whatever is still held back (incomplete sequences become U+FFFD) and resets. */
    public String flush() {
        String rest = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return rest;
    }

    /** Bytes held back because they end in the middle of a UTF-8 sequence. */
    public int pendingBytes() {
        return pending.length;
    }

    /**
     * Length of the prefix that does not end inside an unfinished UTF-8 sequence. Only the last
     * lead byte can start an unfinished sequence; invalid bytes are released (they decode to U+FFFD).
     */
    static int completePrefixLength(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(4, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for the lead byte
            }
            int expected = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 && lead < 0xE0 ? 2 : 1;
            if (lead >= 0xF5) {
                expected = 1;
            }
            return back < expected ? n - back : n;
        }
        return n;
    }
}
