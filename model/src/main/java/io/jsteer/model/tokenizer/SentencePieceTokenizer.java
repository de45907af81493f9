package io.jsteer.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece BPE with byte fallback, following llama.cpp's SPM tokenizer (which reproduces
 * SentencePiece): spaces become {@code ▁}, a dummy-prefix space starts every run of raw text
 * (the start of input and after each special token), adjacent symbols merge best-first — by
 * piece score, or by merge rank when the vocabulary came with a merge list (Hugging Face
 * tokenizer.json) — with ties going to the leftmost pair, and code points that end up outside
 * the vocabulary are spelled as {@code <0xXX>} byte tokens.
 */
public final class SentencePieceTokenizer extends AbstractTokenizer {
    private final SymbolMerger merger;

    public SentencePieceTokenizer(Vocabulary vocabulary) {
        super(requireKind(vocabulary));
        this.merger = new SymbolMerger(vocabulary.merges().isEmpty() ? this::scorePriority : mergeRankPriority(vocabulary));
    }

    private static Vocabulary requireKind(Vocabulary vocabulary) {
        if (vocabulary.kind() != Vocabulary.Kind.SENTENCEPIECE_BPE) {
            throw new IllegalArgumentException("not a SentencePiece vocabulary: " + vocabulary.kind());
        }
        return vocabulary;
    }

    /** Pieces that raw text may merge into: control, unknown and byte tokens are never spelled by text. */
    private double scorePriority(String left, String right) {
        int id = lookup.id(left + right);
        if (id < 0) {
            return PairPriority.NO_MERGE;
        }
        int type = vocabulary.tokenTypes()[id];
        if (type == TokenType.CONTROL || type == TokenType.UNKNOWN || type == TokenType.BYTE) {
            return PairPriority.NO_MERGE;
        }
        return vocabulary.scores()[id];
    }

    private PairPriority mergeRankPriority(Vocabulary vocabulary) {
        Map<String, Integer> ranks = mergeRanks(vocabulary.merges());
        return (left, right) -> {
            Integer rank = ranks.get(left + ' ' + right);
            return rank == null || lookup.id(left + right) < 0 ? PairPriority.NO_MERGE : -rank;
        };
    }

    static Map<String, Integer> mergeRanks(List<String> merges) {
        Map<String, Integer> ranks = HashMap.newHashMap(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            ranks.putIfAbsent(merges.get(i), i);
        }
        return ranks;
    }

    @Override
    protected void encodeText(String text, boolean afterSpecialOrStart, List<Integer> out) {
        // The dummy prefix: SentencePiece encodes a word at the start the same as one after a space.
        String normalized = ((afterSpecialOrStart ? " " : "") + text).replace(' ', Vocabulary.SPACE_MARKER);
        List<String> symbols = new ArrayList<>();
        normalized.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        for (String symbol : merger.merge(symbols)) {
            int id = lookup.id(symbol);
            if (id >= 0) {
                out.add(id);
            } else {
                appendBytes(symbol, out);
            }
        }
    }

    private void appendBytes(String symbol, List<Integer> out) {
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int id = lookup.byteToken(b);
            out.add(id >= 0 ? id : vocabulary.unk());
        }
    }

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        String piece = vocabulary.pieces()[id];
        return switch (vocabulary.tokenTypes()[id]) {
            case TokenType.BYTE -> {
                int value = PieceLookup.parseByteToken(piece);
                yield value >= 0 ? new byte[] {(byte) value} : new byte[0];
            }
            case TokenType.CONTROL -> new byte[0];
            // SentencePiece renders the unknown piece as " ⁇ ".
            case TokenType.UNKNOWN -> " \u2047 ".getBytes(StandardCharsets.UTF_8);
            default -> piece.replace(Vocabulary.SPACE_MARKER, ' ').getBytes(StandardCharsets.UTF_8);
        };
    }

    @Override
    public boolean stripsLeadingSpace() {
        return true;
    }
}
