package io.jsteer.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The few protobuf wire-format reads that a SentencePiece model needs. Every length is checked
 * against the bytes that remain, so a corrupt file fails with a message instead of reading
 * garbage or allocating huge buffers.
 */
final class ProtobufReader {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final String source;
    private final byte[] data;
    private int position;
    private final int limit;

    ProtobufReader(String source, byte[] data) {
        this(source, data, 0, data.length);
    }

    private ProtobufReader(String source, byte[] data, int start, int limit) {
        this.source = source;
        this.data = data;
        this.position = start;
        this.limit = limit;
    }

    boolean hasMore() {
        return position < limit;
    }

    int position() {
        return position;
    }

    /** Reads a field key; returns {@code fieldNumber << 3 | wireType}. */
    int readTag(String context) {
        long tag = readVarint(context + " tag");
        int wireType = (int) (tag & 7);
        long field = tag >>> 3;
        if (field == 0 || field > (1 << 29) || wireType == 3 || wireType == 4 || wireType > 5) {
            throw new TokenizerFormatException(source, context,
                    "invalid protobuf tag " + tag + " (field " + field + ", wire type " + wireType + ") at byte " + position);
        }
        return (int) tag;
    }

    long readVarint(String field) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (position >= limit) {
                throw new TokenizerFormatException(source, field, "varint runs past the end of its message at byte " + position);
            }
            int b = data[position++] & 0xFF;
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new TokenizerFormatException(source, field, "varint longer than 10 bytes at byte " + position);
    }

    float readFloat(String field) {
        require(4, field);
        int bits = (data[position] & 0xFF) | (data[position + 1] & 0xFF) << 8
                | (data[position + 2] & 0xFF) << 16 | (data[position + 3] & 0xFF) << 24;
        position += 4;
        return Float.intBitsToFloat(bits);
    }

    /** A sub-reader over a length-delimited field (an embedded message). */
    ProtobufReader readMessage(String field) {
        int length = readLength(field);
        ProtobufReader sub = new ProtobufReader(source, data, position, position + length);
        position += length;
        return sub;
    }

    String readString(String field) {
        int length = readLength(field);
        String s = new String(data, position, length, StandardCharsets.UTF_8);
        position += length;
        return s;
    }

    void skip(int tag, String context) {
        switch (tag & 7) {
            case VARINT -> readVarint(context);
            case FIXED64 -> {
                require(8, context);
                position += 8;
            }
            case LENGTH_DELIMITED -> {
                // Two statements: "position += readLength()" would add to the position read *before* the length.
                int length = readLength(context);
                position += length;
            }
            case FIXED32 -> {
                require(4, context);
                position += 4;
            }
            default -> throw new TokenizerFormatException(source, context, "cannot skip wire type " + (tag & 7));
        }
    }

    private int readLength(String field) {
        long length = readVarint(field + " length");
        if (length < 0 || length > limit - position) {
            throw new TokenizerFormatException(source, field,
                    "length " + length + " at byte " + position + " exceeds the " + (limit - position) + " bytes that remain");
        }
        return (int) length;
    }

    private void require(int n, String field) {
        if (limit - position < n) {
            throw new TokenizerFormatException(source, field,
                    "needs " + n + " bytes at byte " + position + " but only " + (limit - position) + " remain");
        }
    }
}
