package io.jsteer.steering.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.mat.tasks.Bbq;
import io.jsteer.steering.mat.tasks.JsonlTask;
import io.jsteer.steering.mat.tasks.TruthfulQa;
import io.jsteer.weights.InputFiles;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.safetensors.HfConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20: invalid UTF-8 used to give "jsteer: error: Input length = 1" (a bare Java message);
 * every text reader now names the file, the line and the byte offset of the first bad byte.
 */
class InvalidUtf8Test {

    @TempDir
    Path dir;

    /** {@code text} with one stray continuation byte (0x80) inserted at byte offset {@code at}. */
    private Path withBadByte(String name, String text, int at) throws Exception {
        byte[] good = text.getBytes(StandardCharsets.UTF_8);
        byte[] bad = new byte[good.length + 1];
        System.arraycopy(good, 0, bad, 0, at);
        bad[at] = (byte) 0x80;
        System.arraycopy(good, at, bad, at + 1, good.length - at);
        Path p = dir.resolve(name);
        Files.write(p, bad);
        return p;
    }

    private static void assertNamed(RuntimeException e, Path file, int offset, int line) {
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()) && m.contains("not valid UTF-8") && m.contains("byte offset " + offset)
                && m.contains("(line " + line + ")"), m);
    }

    @Test
    void datasetsNameFileLineAndOffset() throws Exception {
        Path jsonl = withBadByte("d.jsonl", "{\"text\": \"a\"}\n{\"text\": \"bé\"}\n", 25);
        assertNamed(assertThrows(DatasetException.class, () -> RecordReader.read(jsonl)), jsonl, 25, 2);
        Path txt = withBadByte("d.txt", "one\ntwo\nthree\n", 9);
        assertNamed(assertThrows(DatasetException.class, () -> RecordReader.read(txt)), txt, 9, 3);
    }

    @Test
    void matTaskFilesNameFileLineAndOffset() throws Exception {
        String item = "{\"question\": \"q\", \"choices\": [\"a\", \"b\"], \"label\": 0}\n";
        Path task = withBadByte("task.jsonl", item + item, item.length() + 3);
        assertNamed(assertThrows(IllegalArgumentException.class, () -> new JsonlTask(task).load(dir, 1)), task, item.length() + 3, 2);
        Path bbq = withBadByte("Age.jsonl", item, 0);
        assertNamed(assertThrows(IllegalArgumentException.class, () -> Bbq.load(List.of(bbq))), bbq, 0, 1);
        Path csv = withBadByte("TruthfulQA.csv", "Type,Category,Question\n", 5);
        assertNamed(assertThrows(IllegalArgumentException.class, () -> TruthfulQa.load(csv)), csv, 5, 1);
    }

    @Test
    void configJsonNamesFileAndOffset() throws Exception {
        Path config = withBadByte("config.json", "{\n  \"hidden_size\": 64\n}\n", 6);
        var e = assertThrows(WeightFormatException.class, () -> HfConfig.read(config));
        assertNamed(e, config, 6, 2);
    }

    @Test
    void theDecoderReportsRatherThanReplaces() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> InputFiles.decodeUtf8("x: ", new byte[] {'a', '\n', 'b', (byte) 0xC3, '(', 'c'}));
        assertTrue(e.getMessage().startsWith("x: not valid UTF-8: malformed byte sequence of length 1 at byte offset 3 (line 2)"),
                e.getMessage());
        // a byte-order mark is dropped, valid multi-byte text kept
        assertTrue(InputFiles.decodeUtf8("", new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, (byte) 0xC3, (byte) 0xA9}).equals("é"));
    }
}
