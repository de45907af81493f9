package io.jsteer.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Corrupt inputs must fail fast with {@link TokenizerFormatException} naming file, field and
 * value: never OutOfMemoryError, IndexOutOfBounds or a hang.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class MalformedTokenizerFilesTest {
    @TempDir
    Path dir;

    private static void assertFormatError(Executable action, String... fragments) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, action);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private static byte[] tok512() throws IOException {
        return Files.readAllBytes(SharedFiles.model("tok512.bin"));
    }

    /** Offset of token {@code id}'s int32 length field in a llama2.c tokenizer file. */
    private static int lengthFieldOffset(byte[] file, int id) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int pos = 4;
        for (int i = 0; i < id; i++) {
            pos += 8 + in.getInt(pos + 4);
        }
        return pos + 4;
    }

    @Test
    void llama2cTruncated() throws IOException {
        byte[] data = tok512();
        Path file = write("truncated.bin", Arrays.copyOf(data, data.length / 2));
        assertFormatError(() -> Llama2cTokenizerReader.read(file, 512), "truncated.bin", "vocab_size", "512");
        Path cut = write("cut.bin", Arrays.copyOf(data, data.length - 3));
        assertFormatError(() -> Llama2cTokenizerReader.read(cut, 512), "cut.bin", "token 511", "truncated");
        Path empty = write("empty.bin", new byte[0]);
        assertFormatError(() -> Llama2cTokenizerReader.read(empty, 512), "empty.bin", "max_token_length");
    }

    @Test
    void llama2cNegativeAndHugeLengths() throws IOException {
        byte[] data = tok512();
        int at = lengthFieldOffset(data, 300);
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(at, -5);
        Path negative = write("negative.bin", data);
        assertFormatError(() -> Llama2cTokenizerReader.read(negative, 512), "negative.bin", "token 300 len", "-5");
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(at, Integer.MAX_VALUE);
        Path huge = write("huge.bin", data);
        assertFormatError(() -> Llama2cTokenizerReader.read(huge, 512), "huge.bin", "token 300 len", "2147483647");
        byte[] header = tok512();
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -1);
        Path badMax = write("badmax.bin", header);
        assertFormatError(() -> Llama2cTokenizerReader.read(badMax, 512), "badmax.bin", "max_token_length", "-1");
    }

    @Test
    void llama2cWrongVocabSize() throws IOException {
        Path file = write("tok.bin", tok512());
        assertFormatError(() -> Llama2cTokenizerReader.read(file, 511), "tok.bin", "vocab_size", "bytes left after 511 tokens");
        assertFormatError(() -> Llama2cTokenizerReader.read(file, 513), "tok.bin", "token 512");
        assertFormatError(() -> Llama2cTokenizerReader.read(file, 2_000_000_000), "tok.bin", "vocab_size", "2000000000");
        assertFormatError(() -> Llama2cTokenizerReader.read(file, 0), "tok.bin", "vocab_size", "0");
    }

    @Test
    void sentencePieceModelCorrupt() throws IOException {
        byte[] model = Files.readAllBytes(SharedFiles.model("tokenizer.model"));
        Path truncated = write("truncated.model", Arrays.copyOf(model, 1000));
        assertFormatError(() -> SentencePieceModelReader.read(truncated), "truncated.model", "pieces[", "exceeds");
        Path empty = write("empty.model", new byte[0]);
        assertFormatError(() -> SentencePieceModelReader.read(empty), "empty.model", "pieces", "no pieces");
        // Field 1, length-delimited, with a length varint of 2^62: must not allocate or wrap around.
        Path hugeLength = write("huge.model", new byte[] {0x0A, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
                (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x40});
        assertFormatError(() -> SentencePieceModelReader.read(hugeLength), "huge.model", "pieces[0]", "length");
        Path endGroup = write("group.model", new byte[] {0x0C});
        assertFormatError(() -> SentencePieceModelReader.read(endGroup), "group.model", "ModelProto", "wire type 4");
        Path runaway = write("varint.model", new byte[] {0x08, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01});
        assertFormatError(() -> SentencePieceModelReader.read(runaway), "varint.model", "varint");
        Path text = write("text.model", "this is not protobuf at all".getBytes(StandardCharsets.UTF_8));
        assertThrows(TokenizerFormatException.class, () -> SentencePieceModelReader.read(text));
    }

    @Test
    void sentencePieceModelWithBadPieceType() throws IOException {
        // pieces { piece: "a" type: 9 }
        byte[] bad = {0x0A, 0x05, 0x0A, 0x01, 'a', 0x18, 0x09};
        Path file = write("type.model", bad);
        assertFormatError(() -> SentencePieceModelReader.read(file), "type.model", "pieces[0].type", "9");
    }

    @Test
    void huggingFaceJsonCorrupt() throws IOException {
        Path notJson = write("bad.json", "{\"model\": {\"type\": \"BPE\", ".getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(notJson), "bad.json", "not valid JSON");
        Path wrongModel = write("wp.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}".getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(wrongModel), "wp.json", "model.type", "WordPiece");
        Path noVocab = write("novocab.json", "{\"model\": {\"type\": \"BPE\"}}".getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(noVocab), "novocab.json", "model.vocab");
        Path hugeId = write("hugeid.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2000000000}, \"merges\": []}}"
                .getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(hugeId), "hugeid.json", "model.vocab[a]", "2000000000");
        Path gap = write("gap.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"c\": 3, \"d\": 4}, \"merges\": []}}"
                .getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(gap), "gap.json", "model.vocab[d]", "id 4");
        Path hole = write("hole.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0, \"c\": 2}, \"merges\": []}}"
                .getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(hole), "hole.json", "id 1 is missing");
        Path badMerge = write("merge.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [42]}}"
                .getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(badMerge), "merge.json", "model.merges[0]", "42");
        Path array = write("array.json", "[1, 2, 3]".getBytes(StandardCharsets.UTF_8));
        assertFormatError(() -> HuggingFaceTokenizerReader.read(array), "array.json", "(root)");
    }

    @Test
    void ggufMetadataInconsistent() {
        Map<String, Object> meta = new HashMap<>();
        meta.put("tokenizer.ggml.model", "llama");
        meta.put("tokenizer.ggml.tokens", List.of("<unk>", "<s>", "</s>", "a"));
        meta.put("tokenizer.ggml.scores", List.of(0f, 0f, 0f));
        assertFormatError(() -> Vocabulary.fromGgufMetadata(meta), "GGUF metadata", "tokenizer.ggml.scores", "3");
        meta.put("tokenizer.ggml.scores", List.of(0f, 0f, 0f, "x"));
        assertFormatError(() -> Vocabulary.fromGgufMetadata(meta), "tokenizer.ggml.scores", "element 3");
        meta.put("tokenizer.ggml.scores", List.of(0f, 0f, 0f, -1f));
        meta.put("tokenizer.ggml.token_type", List.of(2, 3, 3, 42));
        assertFormatError(() -> Vocabulary.fromGgufMetadata(meta), "token_type", "42");
        meta.put("tokenizer.ggml.token_type", List.of(2, 3, 3, 1));
        meta.put("tokenizer.ggml.bos_token_id", 77L);
        assertFormatError(() -> Vocabulary.fromGgufMetadata(meta), "bos_token_id", "77");
        meta.put("tokenizer.ggml.bos_token_id", 1L);
        meta.put("tokenizer.ggml.model", "bert");
        assertFormatError(() -> Vocabulary.fromGgufMetadata(meta), "tokenizer.ggml.model", "bert");
        meta.put("tokenizer.ggml.model", "gpt2");
        assertFormatError(() -> Vocabulary.fromGgufMetadata(meta), "tokenizer.ggml.merges");
        meta.remove("tokenizer.ggml.tokens");
        assertFormatError(() -> Vocabulary.fromGgufMetadata(meta), "tokenizer.ggml.tokens", "missing");
    }
}
