/**
 * Tokenizers for Llama-family models.
 *
 * <ul>
 *   <li>GGUF models: {@code Tokenizers.forVocabulary(Vocabulary.fromGgufMetadata(meta))} — llama.cpp
 *       semantics ("llama" = SentencePiece BPE, "gpt2" = byte-level BPE).</li>
 *   <li>llama2.c checkpoints: {@code Tokenizers.llama2c(tokenizerBin, vocabSize)} — run.c semantics,
 *       which the llama2.c reference outputs were produced with.</li>
 *   <li>{@code tokenizer.model} / {@code tokenizer.json}: {@code Tokenizers.sentencePieceModel},
 *       {@code Tokenizers.huggingFace}.</li>
 * </ul>
 *
 * Generated tokens are turned into text with {@link io.jsteer.model.tokenizer.Tokenizer#newDecoder()},
 * which never emits half a UTF-8 character. Malformed files raise
 * {@link io.jsteer.model.tokenizer.TokenizerFormatException}.
 */
package io.jsteer.model.tokenizer;
