package io.jsteer.model.tokenizer;

import java.nio.file.Path;

/** Entry points: the right tokenizer for a vocabulary, and loading from the usual files. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /** llama.cpp / SentencePiece semantics for "llama" vocabularies, byte-level BPE for "gpt2". */
    public static Tokenizer forVocabulary(Vocabulary vocabulary) {
        return switch (vocabulary.kind()) {
            case SENTENCEPIECE_BPE -> new SentencePieceTokenizer(vocabulary);
            case BYTE_LEVEL_BPE -> new ByteLevelBpeTokenizer(vocabulary);
        };
    }

    /** run.c semantics, for llama2.c checkpoints with their tokenizer.bin / tok512.bin. */
    public static Tokenizer llama2c(Path tokenizerBin, int vocabSize) {
        return new Llama2cTokenizer(Llama2cTokenizerReader.read(tokenizerBin, vocabSize));
    }

    /** A SentencePiece {@code tokenizer.model}, with SentencePiece semantics. */
    public static Tokenizer sentencePieceModel(Path tokenizerModel) {
        return new SentencePieceTokenizer(SentencePieceModelReader.read(tokenizerModel));
    }

    /** A Hugging Face {@code tokenizer.json} (BPE, SentencePiece-style or byte-level). */
    public static Tokenizer huggingFace(Path tokenizerJson) {
        return forVocabulary(HuggingFaceTokenizerReader.read(tokenizerJson));
    }
}
