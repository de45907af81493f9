package io.jsteer.model.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads llama2.c tokenizer files ({@code tokenizer.bin}, {@code tok512.bin}): int32
 * max_token_length, then per token float32 score, int32 byte length and the UTF-8 bytes, all
 * little-endian. The token count is not stored; it comes from the model header, and a file that
 * does not hold exactly that many tokens is rejected.
 *
 * <p>llama2.c's exporter replaced SentencePiece's {@code ▁} by a plain space and wrapped BOS/EOS in
 * newlines; both are undone here so the vocabulary matches the GGUF/SentencePiece spelling.
 */
public final class Llama2cTokenizerReader {
    private Llama2cTokenizerReader() {
    }

    public static Vocabulary read(Path path, int vocabSize) {
        return parse(path.toString(), TokenizerFiles.readAll(path), vocabSize);
    }

    static Vocabulary parse(String source, byte[] data, int vocabSize) {
        if (vocabSize <= 0) {
            throw new TokenizerFormatException(source, "vocab_size", "must be positive, got " + vocabSize);
        }
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        requireBytes(source, in, 4, "max_token_length");
        int maxTokenLength = in.getInt();
        if (maxTokenLength <= 0 || maxTokenLength > 1024) {
            throw new TokenizerFormatException(source, "max_token_length", "implausible value " + maxTokenLength);
        }
        // Each token takes at least 8 bytes, so a vocabulary size the file cannot hold fails here,
        // before allocating arrays sized by an untrusted number.
        if ((long) vocabSize * 8 > in.remaining()) {
            throw new TokenizerFormatException(source, "vocab_size",
                    vocabSize + " tokens cannot fit in the " + in.remaining() + " bytes after the header");
        }
        String[] pieces = new String[vocabSize];
        float[] scores = new float[vocabSize];
        int[] types = new int[vocabSize];
        for (int id = 0; id < vocabSize; id++) {
            requireBytes(source, in, 8, "token " + id + " score/len (file ends after " + id + " of " + vocabSize + " tokens)");
            scores[id] = in.getFloat();
            int len = in.getInt();
            if (len < 0 || len > maxTokenLength) {
                throw new TokenizerFormatException(source, "token " + id + " len",
                        "length " + len + " outside 0.." + maxTokenLength + " (max_token_length)");
            }
            requireBytes(source, in, len, "token " + id + " bytes");
            byte[] bytes = new byte[len];
            in.get(bytes);
            pieces[id] = normalize(new String(bytes, StandardCharsets.UTF_8));
            types[id] = typeOf(id, pieces[id]);
        }
        if (in.hasRemaining()) {
            throw new TokenizerFormatException(source, "vocab_size", in.remaining()
                    + " bytes left after " + vocabSize + " tokens: the vocabulary size does not match this file");
        }
        return new Vocabulary(Vocabulary.Kind.SENTENCEPIECE_BPE, pieces, scores, types, List.of(),
                indexOf(pieces, "<s>", 1), indexOf(pieces, "</s>", 2), indexOf(pieces, "<unk>", 0), true, "default");
    }

    private static void requireBytes(String source, ByteBuffer in, int needed, String field) {
        if (in.remaining() < needed) {
            throw new TokenizerFormatException(source, field,
                    "needs " + needed + " bytes at offset " + in.position() + " but only " + in.remaining() + " remain (truncated file)");
        }
    }

    private static String normalize(String piece) {
        String trimmed = piece.strip();
        if (trimmed.equals("<s>") || trimmed.equals("</s>")) {
            return trimmed;
        }
        return piece.replace(' ', Vocabulary.SPACE_MARKER);
    }

    private static int typeOf(int id, String piece) {
        if (piece.equals("<unk>")) {
            return TokenType.UNKNOWN;
        }
        if (piece.equals("<s>") || piece.equals("</s>")) {
            return TokenType.CONTROL;
        }
        return PieceLookup.parseByteToken(piece) >= 0 ? TokenType.BYTE : TokenType.NORMAL;
    }

    private static int indexOf(String[] pieces, String piece, int usual) {
        if (usual < pieces.length && pieces[usual].equals(piece)) {
            return usual;
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i].equals(piece)) {
                return i;
            }
        }
        return -1;
    }
}
