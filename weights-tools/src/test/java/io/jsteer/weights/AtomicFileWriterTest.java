package io.jsteer.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one atomic writer: temporaries cleaned by the next write, directories swapped whole, failures name the file. */
class AtomicFileWriterTest {

    @TempDir
    Path dir;

    private static void text(Path p, String s) throws IOException {
        AtomicFileWriter.write(p, out -> out.bytes(s.getBytes(StandardCharsets.UTF_8)));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A pid that is certainly not running: a child that has already exited. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    @Test
    void aFullDiskNamesTheFileAndKeepsTheOldContent() throws Exception {
        Path target = dir.resolve("model.gguf");
        text(target, "old");
        // what FileChannel.write throws on ENOSPC: a message without any file name
        IOException e = assertThrows(IOException.class, () -> AtomicFileWriter.write(target, out -> {
            out.bytes(new byte[100]);
            throw new IOException("No space left on device");
        }));
        assertEquals("cannot write " + target + ": No space left on device", e.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("model.gguf"), names(), "the temporary is removed");
    }

    @Test
    void temporariesOfDeadWritersAndOldStyleOnesAreRemovedByTheNextWrite() throws Exception {
        long dead = deadPid(), alive = ProcessHandle.current().parent().map(ProcessHandle::pid).orElseThrow();
        Path deadTemp = dir.resolve(AtomicFileWriter.TEMP_PREFIX + dead + ".abc.model.gguf");
        Path liveTemp = dir.resolve(AtomicFileWriter.TEMP_PREFIX + alive + ".def.model.gguf");
        Path deadTree = dir.resolve(AtomicFileWriter.TEMP_PREFIX + dead + ".ghi.adapter");
        Files.writeString(deadTemp, "half a model");
        Files.writeString(liveTemp, "someone else's write in progress");
        Files.createDirectories(deadTree.resolve("inner"));
        Files.writeString(deadTree.resolve("inner/x"), "x");
        // what `convert` killed mid-write left before temporaries carried a pid (Files.createTempFile naming)
        Path legacyOld = dir.resolve(".model.gguf.123456789.tmp"), legacyNew = dir.resolve(".model.gguf.987654321.tmp");
        Files.writeString(legacyOld, "994 MB once");
        Files.setLastModifiedTime(legacyOld, FileTime.from(Instant.now().minusSeconds(3600)));
        Files.writeString(legacyNew, "maybe still being written");
        Path userFile = dir.resolve(".model.gguf.notes");
        Files.writeString(userFile, "a user's file that merely looks alike");

        text(dir.resolve("model.gguf"), "new");

        assertFalse(Files.exists(deadTemp));
        assertFalse(Files.exists(deadTree));
        assertFalse(Files.exists(legacyOld));
        assertTrue(Files.exists(liveTemp), "a running writer's temporary stays");
        assertTrue(Files.exists(legacyNew), "a recent old-style temporary may belong to a running older jsteer");
        assertTrue(Files.exists(userFile));
        assertEquals("new", Files.readString(dir.resolve("model.gguf")));
    }

    @Test
    void aDirectoryIsReplacedWholeAndAHalfDoneSwapIsUndone() throws Exception {
        Path adapter = dir.resolve("adapter");
        AtomicFileWriter.writeDirectory(adapter, d -> {
            text(d.resolve("a"), "1");
            text(d.resolve("b"), "1");
        });
        AtomicFileWriter.writeDirectory(adapter, d -> {
            text(d.resolve("a"), "2");
            text(d.resolve("b"), "2");
        });
        assertEquals("2", Files.readString(adapter.resolve("a")));
        assertEquals(List.of("adapter"), names());
        // a body that fails leaves the old tree in place and nothing else
        assertThrows(IOException.class, () -> AtomicFileWriter.writeDirectory(adapter, d -> {
            text(d.resolve("a"), "3");
            throw new IOException("No space left on device");
        }));
        assertEquals("2", Files.readString(adapter.resolve("a")));
        assertEquals(List.of("adapter"), names());

        // killed between the two renames: the old tree set aside, no target; the next reader or writer puts it back
        Path aside = dir.resolve(AtomicFileWriter.OLD_PREFIX + deadPid() + ".xyz.adapter");
        Files.move(adapter, aside);
        assertTrue(AtomicFileWriter.recoverDirectory(adapter));
        assertEquals("2", Files.readString(adapter.resolve("b")));
        assertEquals(List.of("adapter"), names());
        // the same, as earlier versions named the set-aside tree (.NAME.old.DIGITS): put back, not cleaned away
        Path legacyAside = dir.resolve(".adapter.old.4242");
        Files.move(adapter, legacyAside);
        Files.setLastModifiedTime(legacyAside, FileTime.from(Instant.now().minusSeconds(3600)));
        AtomicFileWriter.cleanStale(dir, "adapter");
        assertTrue(Files.exists(legacyAside), "the only copy of adapter/ is not a temporary to delete");
        AtomicFileWriter.writeDirectory(adapter, d -> text(d.resolve("a"), "3")); // recovers, then replaces
        assertEquals("3", Files.readString(adapter.resolve("a")));
        assertEquals(List.of("adapter"), names());
        // a set-aside copy of a live writer is left alone (it is mid-swap)
        Files.move(adapter, dir.resolve(AtomicFileWriter.OLD_PREFIX + ProcessHandle.current().pid() + ".xyz.adapter"));
        assertFalse(AtomicFileWriter.recoverDirectory(adapter));
    }
}
