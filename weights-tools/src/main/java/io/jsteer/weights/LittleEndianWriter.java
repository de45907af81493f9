package io.jsteer.weights;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/** Buffered little-endian writes to a file channel, counting the bytes written. */
public final class LittleEndianWriter implements AutoCloseable {

    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    /** The whole buffer as a segment (made while position is 0 and limit is capacity). */
    private final MemorySegment bufferSegment = MemorySegment.ofBuffer(buffer);
    private long written;

    public LittleEndianWriter(FileChannel channel) {
        this.channel = channel;
    }

    /** Bytes written so far (buffered ones included). */
    public long position() { return written; }

    private ByteBuffer room(int n) throws IOException {
        if (buffer.remaining() < n) {
            flush();
        }
        written += n;
        return buffer;
    }

    public void u8(int v) throws IOException { room(1).put((byte) v); }

    public void i16(int v) throws IOException { room(2).putShort((short) v); }

    public void i32(int v) throws IOException { room(4).putInt(v); }

    public void i64(long v) throws IOException { room(8).putLong(v); }

    public void f32(float v) throws IOException { room(4).putFloat(v); }

    public void f64(double v) throws IOException { room(8).putDouble(v); }

    public void bytes(byte[] b) throws IOException { bytes(b, 0, b.length); }

    public void bytes(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int n = Math.min(len, buffer.remaining());
            buffer.put(b, off, n);
            written += n;
            off += n;
            len -= n;
        }
    }

    /** Copies a (possibly mapped) segment without materialising it whole. */
    public void segment(MemorySegment segment) throws IOException {
        long off = 0;
        long size = segment.byteSize();
        while (off < size) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int n = (int) Math.min(size - off, buffer.remaining());
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, off, bufferSegment, ValueLayout.JAVA_BYTE,
                    buffer.position(), n);
            buffer.position(buffer.position() + n);
            written += n;
            off += n;
        }
    }

    public void zeros(long n) throws IOException {
        for (long i = 0; i < n; i++) {
            u8(0);
        }
    }

    public void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
        buffer.clear();
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
