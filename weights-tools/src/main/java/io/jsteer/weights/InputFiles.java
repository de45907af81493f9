package io.jsteer.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The one way jsteer opens a file a user named: it must be a regular file (a FIFO would block
 * the open forever, {@code /dev/zero} would be read until memory runs out, a directory cannot be
 * read), and a text file is read up to a limit and decoded as strict UTF-8, so that every such
 * case ends in one line naming the file and the reason.
 *
 * <p>Errors are {@link IllegalArgumentException}s (bad input, exit code 1 through the CLI's error
 * handler) whose message starts with the file's path.
 */
public final class InputFiles {

    /** Prompt files, JSON metadata, configs, task files: far larger than any real one. */
    public static final long TEXT_LIMIT = 64L << 20;
    /** Datasets (the largest shared one is 2.3 MB). */
    public static final long DATASET_LIMIT = 256L << 20;

    private InputFiles() {}

    /**
     * {@code file} itself, checked to be an existing regular file (symbolic links followed);
     * {@code what} names the flag or role, e.g. {@code --prompt-file}, for the message.
     */
    public static Path requireRegular(String what, Path file) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(label(what, file) + "no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(label(what, file) + "cannot read it (" + e.getMessage() + ")");
        }
        if (a.isDirectory()) {
            throw new IllegalArgumentException(label(what, file) + "is a directory, not a file");
        }
        if (!a.isRegularFile()) {
            throw new IllegalArgumentException(label(what, file) + "is " + kind(file) + ", not a regular file");
        }
        return file;
    }

    /** Like {@link #requireRegular} but a directory is what is expected (adapters, checkpoints, run folders). */
    public static Path requireDirectory(String what, Path dir) {
        if (!Files.exists(dir)) {
            throw new IllegalArgumentException(label(what, dir) + "no such directory");
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(label(what, dir) + "is " + kind(dir) + ", not a directory");
        }
        return dir;
    }

    /**
     * The whole content of a regular file of at most {@code limit} bytes. The size is checked
     * before reading and the read itself stops past the limit, so a file that grows (or lies about
     * its size) cannot make it read more.
     */
    public static byte[] readBytes(String what, Path file, long limit) {
        requireRegular(what, file);
        try {
            long size = Files.size(file);
            if (size > limit) {
                throw tooLarge(what, file, size, limit);
            }
            try (InputStream in = Files.newInputStream(file)) {
                byte[] bytes = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
                if (bytes.length > limit) {
                    throw tooLarge(what, file, bytes.length, limit);
                }
                return bytes;
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(label(what, file) + "cannot read it (" + e.getMessage() + ")", e);
        }
    }

    /** {@link #readBytes} decoded with {@link #decodeUtf8}; a leading byte-order mark is dropped. */
    public static String readText(String what, Path file, long limit) {
        return decodeUtf8(label(what, file), readBytes(what, file, limit));
    }

    /**
     * Strict UTF-8 (a CharsetDecoder that reports, never replaces): invalid bytes give one line
     * naming {@code where}, the line and the byte offset of the first bad byte. A leading
     * byte-order mark is dropped.
     *
     * @param where the start of the message, e.g. {@code "config.json: "}
     */
    public static String decodeUtf8(String where, byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8L, (long) bytes.length + 1));
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new IllegalArgumentException(where + "not valid UTF-8: " + (r.isMalformed() ? "malformed" : "unmappable")
                    + " byte sequence of length " + r.length() + " at byte offset " + offset + " (line " + line + ")");
        }
        d.flush(out);
        out.flip();
        String s = out.toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    private static IllegalArgumentException tooLarge(String what, Path file, long size, long limit) {
        return new IllegalArgumentException(label(what, file) + "is " + size + " bytes, more than the limit of " + limit
                + " bytes (" + (limit >> 20) + " MiB) for this input");
    }

    private static String label(String what, Path file) {
        return (what == null || what.isEmpty() ? "" : what + " ") + file + ": ";
    }

    private static String kind(Path p) {
        if (Files.isDirectory(p)) {
            return "a directory";
        }
        if (Files.isRegularFile(p)) {
            return "a regular file";
        }
        if (Files.isSymbolicLink(p) && !Files.exists(p)) {
            return "a dangling symbolic link";
        }
        try {
            Object fifo = Files.getAttribute(p, "unix:mode");
            int type = ((Integer) fifo) & 0170000;
            return switch (type) {
                case 0010000 -> "a FIFO (named pipe)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file";
        }
    }
}
