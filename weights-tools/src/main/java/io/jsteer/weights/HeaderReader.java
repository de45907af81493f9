package io.jsteer.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Little-endian reads from a file's header through its channel, before anything is mapped. Every
 * read is checked against the file size first, so a truncated or lying file fails with a
 * {@link WeightFormatException} naming the field instead of an exception from deep inside NIO,
 * and no buffer is ever sized from a value that was not checked against the bytes that remain.
 */
public final class HeaderReader {

    /** Largest single string accepted: far above any real key, token or chat template. */
    public static final int MAX_STRING_BYTES = 64 << 20;

    private final Path file;
    private final FileChannel channel;
    private final long fileSize;
    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    /** File offset of buffer position 0. */
    private long bufferStart;
    private long position;

    public HeaderReader(Path file, FileChannel channel) throws IOException {
        this.file = file;
        this.channel = channel;
        this.fileSize = channel.size();
        buffer.limit(0);
    }

    public Path file() { return file; }

    public long fileSize() { return fileSize; }

    public long position() { return position; }

    public long remaining() { return fileSize - position; }

    /** Fails unless {@code n} more bytes exist. */
    public void require(long n, String field) {
        if (n < 0 || n > remaining()) {
            throw new WeightFormatException(file, field, "file truncated: needs " + n + " bytes at offset "
                    + position + " but the file has " + fileSize + " bytes");
        }
    }

    private ByteBuffer fill(int n, String field) {
        require(n, field);
        long bufferEnd = bufferStart + buffer.limit();
        if (position < bufferStart || position + n > bufferEnd) {
            buffer.clear();
            bufferStart = position;
            try {
                int want = (int) Math.min(buffer.capacity(), fileSize - position);
                buffer.limit(want);
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, bufferStart + buffer.position()) < 0) {
                        throw new WeightFormatException(file, field, "file shrank while reading", position);
                    }
                }
                buffer.flip();
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": " + field + ": read failed", e);
            }
        }
        buffer.position((int) (position - bufferStart));
        position += n;
        return buffer;
    }

    public int u8(String field) { return fill(1, field).get() & 0xff; }

    public int i32(String field) { return fill(4, field).getInt(); }

    public long u32(String field) { return Integer.toUnsignedLong(fill(4, field).getInt()); }

    /** A 64-bit value, raw (an unsigned u64 above 2^63 comes back negative). */
    public long i64(String field) { return fill(8, field).getLong(); }

    /** An unsigned 64-bit count or size, which must fit a non-negative long. */
    public long u64Size(String field) {
        long v = i64(field);
        if (v < 0) {
            throw new WeightFormatException(file, field, "size too large (negative as int64)", Long.toUnsignedString(v));
        }
        return v;
    }

    public float f32(String field) { return fill(4, field).getFloat(); }

    public double f64(String field) { return fill(8, field).getDouble(); }

    public void skip(long n, String field) {
        require(n, field);
        position += n;
    }

    public void seek(long offset) {
        if (offset < 0 || offset > fileSize) {
            throw new IllegalArgumentException("offset " + offset + " outside file of " + fileSize);
        }
        position = offset;
    }

    /** {@code n} bytes; {@code n} is checked against the remaining file before anything is allocated. */
    public byte[] bytes(long n, String field) {
        if (n > MAX_STRING_BYTES) {
            throw new WeightFormatException(file, field, "length exceeds the limit of " + MAX_STRING_BYTES + " bytes", n);
        }
        require(n, field);
        byte[] out = new byte[(int) n];
        int done = 0;
        while (done < n) {
            int chunk = (int) Math.min(buffer.capacity(), n - done);
            fill(chunk, field).get(out, done, chunk);
            done += chunk;
        }
        return out;
    }

    /**
     * UTF-8 text of {@code n} bytes. Malformed sequences are replaced, not rejected: real
     * vocabularies hold pieces that are partial multi-byte sequences on their own.
     */
    public String utf8(long n, String field) {
        return new String(bytes(n, field), StandardCharsets.UTF_8);
    }
}
