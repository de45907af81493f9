package io.jsteer.weights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The one way jsteer writes files and directories, so that readers see either the old artefact
 * or the complete new one, never a torn one, and so that what a killed run left behind is
 * removed by the next one.
 *
 * <ul>
 *   <li><b>A file</b> ({@link #write}): the content goes to a temporary file in the same directory
 *       (same file system, so the rename is atomic), is forced to disk, then renamed over the
 *       target. A multi-part artefact that must stay consistent is kept in one file (vector sets
 *       and MAT-Steer checkpoints carry their metadata in the safetensors header).</li>
 *   <li><b>A directory</b> ({@link #writeDirectory}, LoRA adapters): the new tree is built in a
 *       temporary directory, then the old one is renamed aside and the new one renamed in. A
 *       kill between those two renames leaves no target but a complete old tree; {@link
 *       #recoverDirectory} (called by the next write and by readers) renames it back.</li>
 * </ul>
 *
 * Temporaries are named {@code .jsteer-tmp.PID.RANDOM.NAME} (and set-aside trees
 * {@code .jsteer-old.PID.RANDOM.NAME}) so that a later write in the same directory can tell them
 * from user files: it removes those whose process is gone, or that are older than
 * {@link #STALE_AFTER} (in case the pid was reused). Temporaries of the earlier naming
 * ({@code .NAME.RANDOM.tmp}) of the same target are removed when older than {@link #STALE_AFTER}.
 *
 * <p>I/O errors (disk full above all: "No space left on device" names no file) are rethrown with
 * the target's path in the message.
 */
public final class AtomicFileWriter {

    /** The prefix of every temporary file or directory jsteer creates next to a target. */
    public static final String TEMP_PREFIX = ".jsteer-tmp.";
    /** The prefix of a directory set aside while a new one replaces it. */
    public static final String OLD_PREFIX = ".jsteer-old.";
    /** A temporary whose owner still runs is removed anyway after this long (pids are reused). */
    public static final Duration STALE_AFTER = Duration.ofHours(6);
    /** Earlier jsteer versions named temporaries without a pid; those are removed after this long. */
    static final Duration LEGACY_STALE_AFTER = Duration.ofMinutes(10);

    private AtomicFileWriter() {}

    @FunctionalInterface
    public interface Body {
        void write(LittleEndianWriter out) throws IOException;
    }

    @FunctionalInterface
    public interface TreeBody {
        /** Fills {@code dir} (empty, created) with the artefact's files; use {@link AtomicFileWriter#write} inside it. */
        void write(Path dir) throws IOException;
    }

    public static void write(Path target, Body body) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        createDirectories(dir, absolute);
        cleanStale(dir, absolute.getFileName().toString());
        Path temp = tempPath(dir, TEMP_PREFIX, absolute.getFileName().toString());
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                readableByAll(temp);
                LittleEndianWriter out = new LittleEndianWriter(channel);
                body.write(out);
                out.close();
                channel.force(true);
            }
            moveIntoPlace(temp, absolute);
        } catch (IOException e) {
            throw named(absolute, e);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Writes a directory artefact as one unit: {@code body} fills a temporary directory, which then
     * replaces {@code target} (see the class comment for what a kill in between leaves and how it
     * is recovered).
     */
    public static void writeDirectory(Path target, TreeBody body) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        createDirectories(parent, absolute);
        recoverDirectory(absolute);
        String name = absolute.getFileName().toString();
        cleanStale(parent, name);
        Path temp = tempPath(parent, TEMP_PREFIX, name);
        Path old = null;
        try {
            Files.createDirectory(temp);
            readableByAll(temp);
            body.write(temp);
            if (Files.exists(absolute)) {
                old = tempPath(parent, OLD_PREFIX, name);
                Files.move(absolute, old, StandardCopyOption.ATOMIC_MOVE);
            }
            // a kill here leaves `old` complete and no target: recoverDirectory renames it back
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null && !Files.exists(absolute) && Files.exists(old)) {
                Files.move(old, absolute, StandardCopyOption.ATOMIC_MOVE); // put the old one back
                old = null;
            }
            throw named(absolute, e);
        } finally {
            deleteTree(temp);
            if (old != null) {
                deleteTree(old);
            }
        }
    }

    /**
     * Undoes a directory replacement that a killed process left half done: when {@code target}
     * is missing and a set-aside copy of it exists whose process is gone, that copy is renamed
     * back. Returns whether {@code target} exists afterwards.
     */
    public static boolean recoverDirectory(Path target) {
        Path absolute = target.toAbsolutePath();
        if (Files.exists(absolute)) {
            return true;
        }
        Path parent = absolute.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return false;
        }
        String name = absolute.getFileName().toString();
        List<Path> candidates = new ArrayList<>();
        try (Stream<Path> s = Files.list(parent)) {
            String legacyOld = "." + name + ".old.";
            s.filter(p -> {
                String n = p.getFileName().toString();
                Owner o = Owner.of(n, OLD_PREFIX);
                // earlier versions set the old tree aside as .NAME.old.DIGITS (no pid to ask)
                boolean legacy = n.startsWith(legacyOld) && n.substring(legacyOld.length()).matches("\\d+");
                return legacy || o != null && o.target().equals(name) && !o.alive();
            }).forEach(candidates::add);
        } catch (IOException e) {
            return false;
        }
        candidates.sort(Comparator.comparing(AtomicFileWriter::modified).reversed());
        for (Path c : candidates) {
            try {
                Files.move(c, absolute, StandardCopyOption.ATOMIC_MOVE);
                return true;
            } catch (IOException e) {
                // another process recovered it first, or the directory is read-only: try the next
                if (Files.exists(absolute)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Removes the temporaries in {@code dir} that no running write owns: jsteer's own
     * ({@code .jsteer-tmp.PID.*}, {@code .jsteer-old.PID.*}) whose process is gone or that are older
     * than {@link #STALE_AFTER}, and old-style ones of {@code targetName} older than
     * {@link #LEGACY_STALE_AFTER}. A set-aside directory that is the only copy of its target is kept
     * (see {@link #recoverDirectory}). Failures to remove are ignored: cleaning is a courtesy, the
     * write that called it must still happen.
     */
    public static void cleanStale(Path dir, String targetName) {
        Instant now = Instant.now();
        // Files.createTempFile/createTempDirectory(dir, ".NAME.", ".tmp") as earlier versions used them
        java.util.regex.Pattern legacy = java.util.regex.Pattern.compile(
                java.util.regex.Pattern.quote("." + targetName + ".") + "(old\\.)?\\d+(\\.tmp)?");
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                Owner tmp = Owner.of(n, TEMP_PREFIX), old = Owner.of(n, OLD_PREFIX);
                Owner o = tmp != null ? tmp : old;
                if (o != null) {
                    boolean expired = modified(p).plus(STALE_AFTER).isBefore(now);
                    boolean orphanedOnlyCopy = old != null && !Files.exists(dir.resolve(old.target()));
                    if ((!o.alive() || expired) && !orphanedOnlyCopy) {
                        stale.add(p);
                    }
                } else if (legacy.matcher(n).matches() && modified(p).plus(LEGACY_STALE_AFTER).isBefore(now)
                        && !(n.startsWith("." + targetName + ".old.") && !Files.exists(dir.resolve(targetName)))) {
                    stale.add(p);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            return;
        }
        for (Path p : stale) {
            try {
                deleteTree(p);
            } catch (IOException e) {
                // left for a later run
            }
        }
    }

    /** Renames {@code from} over {@code to}, atomically where the file system can. */
    public static void moveIntoPlace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Deletes a file or a directory tree; a missing path is fine. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                try {
                    Files.deleteIfExists(d);
                } catch (DirectoryNotEmptyException e) {
                    // something was created inside meanwhile: leave it
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The owner pid and target of a temporary's name, or null when the name is not one of ours. */
    private record Owner(long pid, String target) {
        static Owner of(String name, String prefix) {
            if (!name.startsWith(prefix)) {
                return null;
            }
            String[] parts = name.substring(prefix.length()).split("\\.", 3);
            if (parts.length < 3) {
                return null;
            }
            try {
                return new Owner(Long.parseLong(parts[0]), parts[2]);
            } catch (NumberFormatException e) {
                return null;
            }
        }

        boolean alive() {
            return pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    private static Path tempPath(Path dir, String prefix, String name) {
        String random = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
        String full = prefix + ProcessHandle.current().pid() + "." + random + "." + name;
        // keep within the usual 255-byte name limit; the target part is only informative there
        return dir.resolve(full.length() > 240 ? full.substring(0, 240) : full);
    }

    private static Instant modified(Path p) {
        try {
            FileTime t = Files.getLastModifiedTime(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return t.toInstant();
        } catch (IOException e) {
            return Instant.now();
        }
    }

    private static void createDirectories(Path dir, Path target) throws IOException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw named(target, e);
        }
    }

    /** The same failure with the target named first (a full disk's message names no file). */
    private static IOException named(Path target, IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (m.contains(target.toString()) || e instanceof NoSuchFileException && m.contains(target.getFileName().toString())) {
            return e;
        }
        return new IOException("cannot write " + target + ": " + m, e);
    }

    /**
     * Temp files are created owner-only; a model file should get the usual rw-r--r-- (on file
     * systems without POSIX permissions the default is kept).
     */
    private static void readableByAll(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(Files.isDirectory(file) ? "rwxr-xr-x" : "rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }
}
