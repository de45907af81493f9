package io.jsteer.model.tokenizer;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Hostile tokenizer files: whatever the bytes, reading them as a Hugging Face
 * {@code tokenizer.json}, a SentencePiece {@code tokenizer.model} or a llama2.c {@code tok*.bin}
 * either gives a tokenizer that then encodes and decodes text without failing, or fails with
 * {@link TokenizerFormatException} (or an I/O error) whose message names the file; never an index
 * error, a negative array size, an out-of-memory from a count believed blindly, or a hang. The
 * first input byte picks the format.
 *
 * <p>A normal build replays the seeds under
 * {@code src/test/resources/io/jsteer/model/tokenizer/TokenizerFileFuzzTestInputs/} (the shared
 * tok512.bin, small valid files of the other two formats, damaged copies);
 * {@code JAZZER_FUZZ=1 ./mvnw -pl model test -Dtest=TokenizerFileFuzzTest} mutates them for the
 * time below (README, Reliability).
 */
class TokenizerFileFuzzTest {

    private static final String[] NAMES = {"tokenizer.json", "tokenizer.model", "tok512.bin"};
    /** Texts every tokenizer that loads must take: plain, spaces, a special token's text, bytes outside its pieces. */
    private static final String[] TEXTS = {"Once upon a time", "  two  spaces\n\tand a tab", "<s>Hi</s><|eot_id|>", "é漢😀\u0000"};

    @FuzzTest(maxDuration = "10m")
    void anyBytesLoadOrFailNamingTheFile(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int format = Byte.toUnsignedInt(input[0]) % NAMES.length;
        Path dir = Files.createTempDirectory("jsteer-fuzz");
        Path file = dir.resolve(NAMES[format]);
        try {
            Files.write(file, Arrays.copyOfRange(input, 1, input.length));
            Tokenizer tok;
            try {
                tok = switch (format) {
                    case 0 -> Tokenizers.huggingFace(file);
                    case 1 -> Tokenizers.sentencePieceModel(file);
                    default -> Tokenizers.llama2c(file, 512);
                };
            } catch (TokenizerFormatException | UncheckedIOException expected) {
                String m = expected.getMessage();
                if (m == null || !m.contains(file.getFileName().toString())) {
                    throw new AssertionError("an error that does not name the file: " + m, expected);
                }
                return;
            }
            for (String text : TEXTS) {
                for (boolean special : new boolean[] {false, true}) {
                    int[] ids = tok.encode(text, true, special);
                    tok.decode(ids);
                    for (int id : ids) {
                        if (id < 0 || id >= tok.vocabSize()) {
                            throw new AssertionError("token id " + id + " outside the vocabulary of " + tok.vocabSize());
                        }
                        tok.tokenBytes(id);
                    }
                }
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }
}
