package io.jsteer.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.io.ByteArrayOutputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 style byte-level BPE (Llama 3): the pre-tokenizer regex cuts text into chunks, each
 * chunk's UTF-8 bytes are mapped to characters, and adjacent symbols merge in merge-list order.
 * With "ignore merges" (Llama 3, both in Hugging Face and llama.cpp) a chunk that is itself a
 * vocabulary entry becomes that token directly, which can differ from what the merges would build.
 * Qwen2-family vocabularies (pre-tokenizer "qwen2") bring Unicode NFC normalization first, as
 * their tokenizer.json declares, so that a decomposed "e" + U+0301 encodes like "é".
 */
public final class ByteLevelBpeTokenizer extends AbstractTokenizer {
    private final ByteUnicodeMap byteMap = new ByteUnicodeMap();
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final boolean nfc;
    private final SymbolMerger merger;

    public ByteLevelBpeTokenizer(Vocabulary vocabulary) {
        super(requireKind(vocabulary));
        this.preTokenizer = PreTokenizer.named("vocabulary", vocabulary.preTokenizer());
        this.ignoreMerges = vocabulary.preTokenizer().startsWith("llama");
        this.nfc = normalizesToNfc(vocabulary.preTokenizer());
        Map<String, Integer> ranks = SentencePieceTokenizer.mergeRanks(vocabulary.merges());
        this.merger = new SymbolMerger((left, right) -> {
            Integer rank = ranks.get(left + ' ' + right);
            return rank == null ? PairPriority.NO_MERGE : -rank;
        });
    }

    /** Whether vocabularies with this pre-tokenizer normalize text to NFC before splitting it. */
    static boolean normalizesToNfc(String preTokenizer) {
        return preTokenizer.equals("qwen2");
    }

    private static Vocabulary requireKind(Vocabulary vocabulary) {
        if (vocabulary.kind() != Vocabulary.Kind.BYTE_LEVEL_BPE) {
            throw new IllegalArgumentException("not a byte-level BPE vocabulary: " + vocabulary.kind());
        }
        return vocabulary;
    }

    @Override
    protected void encodeText(String text, boolean afterSpecialOrStart, List<Integer> out) {
        String normalized = nfc ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
        for (String chunk : preTokenizer.split(normalized)) {
            String mapped = byteMap.encode(chunk.getBytes(StandardCharsets.UTF_8));
            int whole = lookup.id(mapped);
            if (ignoreMerges && whole >= 0) {
                out.add(whole);
                continue;
            }
            List<String> symbols = new ArrayList<>(mapped.length());
            for (int i = 0; i < mapped.length(); i++) {
                symbols.add(String.valueOf(mapped.charAt(i)));
            }
            for (String symbol : merger.merge(symbols)) {
                int id = lookup.id(symbol);
                if (id >= 0) {
                    out.add(id);
                } else {
                    // A merge result missing from the vocabulary: fall back to its single bytes.
                    for (int i = 0; i < symbol.length(); i++) {
                        int single = lookup.id(String.valueOf(symbol.charAt(i)));
                        out.add(single >= 0 ? single : vocabulary.unk());
                    }
                }
            }
        }
    }

    @Override
    public byte[] tokenBytes(int id) {
        checkId(id);
        String piece = vocabulary.pieces()[id];
        return switch (vocabulary.tokenTypes()[id]) {
            case TokenType.CONTROL, TokenType.UNUSED -> new byte[0];
            case TokenType.USER_DEFINED, TokenType.UNKNOWN -> piece.getBytes(StandardCharsets.UTF_8);
            default -> unmap(piece);
        };
    }

    private byte[] unmap(String piece) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(piece.length());
        for (int i = 0; i < piece.length(); i++) {
            int b = byteMap.decode(piece.charAt(i));
            if (b >= 0) {
                bytes.write(b);
            } else {
                // Not a mapped byte character: the vocabulary spells real text here; keep it.
                bytes.writeBytes(String.valueOf(piece.charAt(i)).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public boolean stripsLeadingSpace() {
        return false;
    }
}
