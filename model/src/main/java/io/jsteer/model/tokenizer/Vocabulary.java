package io.jsteer.model.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a tokenizer needs, independent of the file it came from.
 *
 * <p>Pieces are stored in SentencePiece/GGUF spelling: word-initial spaces as U+2581 ({@code ▁})
 * for SentencePiece vocabularies, GPT-2 byte-to-unicode characters for byte-level BPE. Loaders of
 * other spellings (llama2.c files use a plain space) normalize on the way in.
 *
 * <p>The arrays are shared, not copied: treat them as read-only.
 *
 * @param kind         which algorithm family the vocabulary belongs to
 * @param pieces       token text by id
 * @param scores       SentencePiece scores by id (higher merges earlier); zeros for byte-level BPE
 * @param tokenTypes   {@link TokenType} codes by id
 * @param merges       BPE merges, "left right", best first; empty for score-driven SentencePiece
 * @param bos          begin-of-sequence id, -1 when absent
 * @param eos          end-of-sequence id, -1 when absent
 * @param unk          unknown-token id, -1 when absent
 * @param addBos       whether the model expects BOS at the start of a prompt
 * @param preTokenizer GGUF {@code tokenizer.ggml.pre} name ("default", "llama-bpe", ...)
 */
public record Vocabulary(
        Kind kind,
        String[] pieces,
        float[] scores,
        int[] tokenTypes,
        List<String> merges,
        int bos,
        int eos,
        int unk,
        boolean addBos,
        String preTokenizer) {

    /** SentencePiece word-boundary marker that stands for a space inside pieces. */
    public static final char SPACE_MARKER = '\u2581';

    public enum Kind {
        /** SentencePiece BPE with byte fallback (Llama 1/2, TinyStories): GGUF model "llama". */
        SENTENCEPIECE_BPE,
        /** GPT-2 style byte-level BPE (Llama 3): GGUF model "gpt2". */
        BYTE_LEVEL_BPE
    }

    public Vocabulary {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(pieces, "pieces");
        Objects.requireNonNull(scores, "scores");
        Objects.requireNonNull(tokenTypes, "tokenTypes");
        merges = List.copyOf(merges);
        preTokenizer = preTokenizer == null ? "default" : preTokenizer;
        String source = "vocabulary";
        if (pieces.length == 0) {
            throw new TokenizerFormatException(source, "pieces", "vocabulary is empty");
        }
        if (scores.length != pieces.length) {
            throw new TokenizerFormatException(source, "scores",
                    "has " + scores.length + " entries but there are " + pieces.length + " pieces");
        }
        if (tokenTypes.length != pieces.length) {
            throw new TokenizerFormatException(source, "token_type",
                    "has " + tokenTypes.length + " entries but there are " + pieces.length + " pieces");
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] == null) {
                throw new TokenizerFormatException(source, "pieces", "piece " + i + " is missing");
            }
            if (!TokenType.isValid(tokenTypes[i])) {
                throw new TokenizerFormatException(source, "token_type",
                        "token " + i + " has type " + tokenTypes[i] + " (valid: 1..6)");
            }
        }
        checkId(source, "bos_token_id", bos, pieces.length);
        checkId(source, "eos_token_id", eos, pieces.length);
        checkId(source, "unknown_token_id", unk, pieces.length);
    }

    private static void checkId(String source, String field, int id, int size) {
        if (id < -1 || id >= size) {
            throw new TokenizerFormatException(source, field,
                    "id " + id + " is outside the vocabulary of " + size + " tokens");
        }
    }

    public int size() {
        return pieces.length;
    }

    /**
     * Builds a vocabulary from GGUF metadata as the GGUF reader delivers it: arrays as
     * {@code List<?>} of String/Float/Integer/Long, scalars as boxed numbers, Booleans or Strings.
     */
    public static Vocabulary fromGgufMetadata(Map<String, Object> meta) {
        return GgufVocabularyMapper.map(meta);
    }
}
