package io.jsteer.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The simplified SentencePiece encoder of llama2.c's run.c, kept because the llama2.c models were
 * evaluated with it and it differs from real SentencePiece on unusual input: the dummy prefix is
 * always a separate {@code ▁} token before merging starts, each code point is looked up alone
 * (byte fallback otherwise), then the adjacent pair whose concatenation has the highest score is
 * merged, leftmost first on ties, until no pair is in the vocabulary. Decoding is SentencePiece's.
 */
public final class Llama2cTokenizer extends AbstractTokenizer {
    private final SentencePieceTokenizer decoding;

    public Llama2cTokenizer(Vocabulary vocabulary) {
        super(vocabulary);
        this.decoding = new SentencePieceTokenizer(vocabulary);
    }

    @Override
    protected void encodeText(String text, boolean afterSpecialOrStart, List<Integer> out) {
        List<Integer> tokens = new ArrayList<>();
        if (afterSpecialOrStart) {
            appendSymbol(String.valueOf(Vocabulary.SPACE_MARKER), tokens);
        }
        text.replace(' ', Vocabulary.SPACE_MARKER).codePoints()
                .forEach(cp -> appendSymbol(Character.toString(cp), tokens));
        mergeBestPairs(tokens);
        out.addAll(tokens);
    }

    private void appendSymbol(String symbol, List<Integer> tokens) {
        int id = mergeableId(symbol);
        if (id >= 0) {
            tokens.add(id);
            return;
        }
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int byteId = lookup.byteToken(b);
            tokens.add(byteId >= 0 ? byteId : vocabulary.unk());
        }
    }

    /** run.c looks pieces up by text; control tokens (BOS/EOS) can never be spelled by text. */
    private int mergeableId(String text) {
        int id = lookup.id(text);
        return id >= 0 && vocabulary.tokenTypes()[id] != TokenType.CONTROL ? id : -1;
    }

    /** Quadratic like run.c; prompts are short and this keeps the semantics obvious. */
    private void mergeBestPairs(List<Integer> tokens) {
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1;
            int bestIndex = -1;
            for (int i = 0; i + 1 < tokens.size(); i++) {
                int id = mergeableId(vocabulary.pieces()[tokens.get(i)] + vocabulary.pieces()[tokens.get(i + 1)]);
                if (id >= 0 && vocabulary.scores()[id] > bestScore) {
                    bestScore = vocabulary.scores()[id];
                    bestId = id;
                    bestIndex = i;
                }
            }
            if (bestIndex < 0) {
                return;
            }
            tokens.set(bestIndex, bestId);
            tokens.remove(bestIndex + 1);
        }
    }

    @Override
    public byte[] tokenBytes(int id) {
        return decoding.tokenBytes(id);
    }

    @Override
    public boolean stripsLeadingSpace() {
        return true;
    }
}
