package io.jsteer.model.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

/** Piece text to id, and byte value to byte-token id, for one vocabulary. */
final class PieceLookup {
    private final Map<String, Integer> idsByPiece;
    private final int[] byteTokenIds = new int[256];

    PieceLookup(Vocabulary vocabulary) {
        String[] pieces = vocabulary.pieces();
        idsByPiece = HashMap.newHashMap(pieces.length);
        Arrays.fill(byteTokenIds, -1);
        for (int id = 0; id < pieces.length; id++) {
            // First occurrence wins: duplicates only appear as filler in padded vocabularies.
            idsByPiece.putIfAbsent(pieces[id], id);
            if (vocabulary.tokenTypes()[id] == TokenType.BYTE) {
                int value = parseByteToken(pieces[id]);
                if (value >= 0 && byteTokenIds[value] < 0) {
                    byteTokenIds[value] = id;
                }
            }
        }
    }

    /** Id of the piece, or -1. */
    int id(String piece) {
        Integer id = idsByPiece.get(piece);
        return id == null ? -1 : id;
    }

    OptionalInt find(String piece) {
        Integer id = idsByPiece.get(piece);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Id of the {@code <0xXX>} token for this byte value, or -1. */
    int byteToken(int value) {
        return byteTokenIds[value & 0xFF];
    }

    /** The byte a {@code <0xXX>} piece stands for, or -1 when the piece is not spelled that way. */
    static int parseByteToken(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
            return -1;
        }
        int hi = Character.digit(piece.charAt(3), 16);
        int lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
}
