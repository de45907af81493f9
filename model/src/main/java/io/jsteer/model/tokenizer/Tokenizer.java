package io.jsteer.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/** Text to token ids and back. Implementations are immutable and thread-safe. */
public interface Tokenizer {

    /** Encodes text; special-token text in {@code text} is treated as plain text. */
    default int[] encode(String text, boolean addBos) {
        return encode(text, addBos, false);
    }

    /**
     * Encodes text.
     *
     * @param addBos       prepend {@link #bos()} (when the vocabulary has one)
     * @param parseSpecial match the text of control/user-defined tokens (e.g. {@code <|eot_id|>})
     *                     as whole tokens instead of encoding their characters; off for untrusted text
     */
    int[] encode(String text, boolean addBos, boolean parseSpecial);

    /**
     * Encodes a prompt rendered from a chat template: the text of control tokens becomes their
     * ids (as with {@code parseSpecial}) except where it overlaps a character flagged in
     * {@code plainText} (message contents), which is encoded as text, so that a user who types
     * {@code <|im_end|>} cannot end a turn. No BOS is added: templates write their own.
     */
    int[] encodeTemplated(String text, java.util.BitSet plainText);

    /**
     * The raw bytes token {@code id} stands for when decoding: byte tokens give their byte, normal
     * pieces their UTF-8 text (with {@code ▁} as space for SentencePiece), control tokens nothing.
     */
    byte[] tokenBytes(int id);

    /**
     * Whether the decoded text of a sequence drops one leading space (SentencePiece adds a
     * "dummy prefix" space when encoding, so decoding removes it to round-trip).
     */
    boolean stripsLeadingSpace();

    /** Decodes a whole sequence; control tokens (BOS, EOS, ...) produce no text. */
    default String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            bytes.writeBytes(tokenBytes(id));
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        if (stripsLeadingSpace() && text.startsWith(" ")) {
            text = text.substring(1);
        }
        return text;
    }

    /** A fresh decoder for token-by-token output (one per generated sequence). */
    default StreamingDecoder newDecoder() {
        return new StreamingDecoder(this);
    }

    int vocabSize();

    int bos();

    int eos();

    /** The piece as stored in the vocabulary (e.g. {@code ▁Hello}, {@code <0x0A>}, {@code ĠHello}). */
    String piece(int id);

    /** Control, unknown and user-defined tokens: those that are not ordinary text. */
    boolean isSpecial(int id);

    /** The id of a piece spelled exactly like {@code piece}, if any. */
    OptionalInt tokenId(String piece);

    Vocabulary vocabulary();
}
