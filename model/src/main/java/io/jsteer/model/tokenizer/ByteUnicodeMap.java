package io.jsteer.model.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character mapping: printable Latin-1 bytes map to themselves, the
 * other 68 bytes to U+0100 upwards, so every byte string becomes visible text with no spaces or
 * control characters (a space becomes {@code Ġ}, a newline {@code Ċ}).
 */
final class ByteUnicodeMap {
    private final char[] charByByte = new char[256];
    private final int[] byteByChar = new int[512];

    ByteUnicodeMap() {
        Arrays.fill(byteByChar, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            charByByte[b] = c;
            byteByChar[c] = b;
        }
    }

    String encode(byte[] bytes) {
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = charByByte[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /** The byte a mapped character stands for, or -1 when the character is not in the mapping. */
    int decode(char c) {
        return c < byteByChar.length ? byteByChar[c] : -1;
    }
}
