package io.jsteer.steering.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad records are reported with file, line, record number and field. */
class MalformedDatasetsTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private static String fail(Runnable r) {
        return assertThrows(DatasetException.class, r::run).getMessage();
    }

    @Test
    void missingFieldInJsonNamesLineRecordAndField() throws IOException {
        Path f = write("ab.json", """
                [
                  {"question": "Q1 (A) yes (B) no", "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(B)"},
                  {"question": "Q2 (A) yes (B) no",
                   "answer_matching_behavior": "(B)"}
                ]
                """);
        String m = fail(() -> Datasets.abItems(f));
        assertEquals(f + ": line 3 (record 2): field 'answer_not_matching_behavior': missing (the record has fields question,"
                + " answer_matching_behavior)", m);
    }

    @Test
    void abAnswersAreChecked() throws IOException {
        Path same = write("same.jsonl", """
                {"question": "Q (A) x (B) y", "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "(A)"}
                """);
        assertTrue(fail(() -> Datasets.abItems(same)).contains("is the same answer (A)"));
        Path bad = write("bad.jsonl", """

                {"question": "Q (A) x (B) y", "answer_matching_behavior": "(A)", "answer_not_matching_behavior": "maybe"}
                """);
        assertEquals(bad + ": line 2 (record 1): field 'answer_not_matching_behavior': must be an answer letter like \"(A)\","
                + " found \"maybe\"", fail(() -> Datasets.abItems(bad)));
        Path noOption = write("noopt.jsonl", """
                {"question": "Q (A) x", "answer_matching_behavior": "A", "answer_not_matching_behavior": "B"}
                """);
        assertTrue(fail(() -> Datasets.abItems(noOption)).contains("field 'question': does not offer option (B)"));
    }

    @Test
    void lettersAreAcceptedWithOrWithoutParentheses() throws IOException {
        Path f = write("ab.jsonl", """
                {"question": "Q (A) x (B) y", "answer_matching_behavior": "B", "answer_not_matching_behavior": " (A) "}
                """);
        AbItem item = Datasets.abItems(f).get(0);
        assertEquals("B", item.matching());
        assertEquals("A", item.notMatching());
    }

    @Test
    void invalidJsonLine() throws IOException {
        Path f = write("pairs.jsonl", "{\"positive\": \"a\", \"negative\": \"b\"}\n{\"positive\": \"c\",\n");
        String m = fail(() -> Datasets.pairs(f));
        assertTrue(m.startsWith(f + ": line 2 (record 2): invalid JSON"), m);
    }

    @Test
    void wrongTypeAndEmptyField() throws IOException {
        Path f = write("pairs.json", "[{\"positive\": [1], \"negative\": \"b\"}]");
        assertTrue(fail(() -> Datasets.pairs(f)).endsWith("field 'positive': must be a string, found array"));
        Path empty = write("empty.json", "[{\"positive\": \"  \", \"negative\": \"b\"}]");
        assertTrue(fail(() -> Datasets.pairs(empty)).endsWith("field 'positive': is empty"));
        Path notArray = write("obj.json", "{\"positive\": \"a\"}");
        assertTrue(fail(() -> Datasets.pairs(notArray)).contains("must be an array of records"));
    }

    @Test
    void csvMissingColumnAndLineNumbers() throws IOException {
        Path f = write("p.csv", "positive,negative\n\"multi\nline\",b\nc,d\n");
        Dataset<ContrastivePair> d = Datasets.pairs(f);
        assertEquals("multi\nline", d.get(0).positive());
        assertEquals("c", d.get(1).positive());
        Path g = write("q.csv", "positive,other\nx,y\n");
        assertEquals(g + ": line 2 (record 1): field 'negative': missing (the record has fields positive, other)",
                fail(() -> Datasets.pairs(g)));
    }

    @Test
    void csvRowWithTooManyValues() throws IOException {
        Path f = write("p.csv", "positive,negative\na,b\nc,d,e\n");
        String m = fail(() -> Datasets.pairs(f));
        assertTrue(m.startsWith(f.toString()) && m.contains("invalid CSV"), m);
    }

    @Test
    void notUtf8AndUnknownExtension() throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.write(f, new byte[] {'a', (byte) 0xC3, '\n'});
        assertTrue(fail(() -> Datasets.texts(f)).contains("not valid UTF-8"));
        Path x = write("data.xml", "<a/>");
        assertTrue(fail(() -> Datasets.texts(x)).contains("unknown dataset format"));
    }

    @Test
    void linePairsMustHaveEqualLength() throws IOException {
        Path p = write("pos.txt", "a\nb\n");
        Path n = write("neg.txt", "c\n");
        assertTrue(fail(() -> Datasets.linePairs(p, n, false)).contains("has 2 prompts but"));
    }

    @Test
    void unescapeFollowsLlamaCpp() {
        assertEquals("a\nb\t\"c\"\\d\\q", Datasets.unescape("a\\nb\\t\\\"c\\\"\\\\d\\q"));
    }

    @Test
    void hashIsOfTheFileBytes() throws IOException {
        Path f = write("t.txt", "abc");
        // sha256("abc"), the FIPS 180-2 test vector
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Datasets.texts(f).sources().getFirst().sha256());
    }
}
