package io.jsteer.model.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/** What all tokenizers share: id bookkeeping, BOS handling and special-token splitting. */
abstract sealed class AbstractTokenizer implements Tokenizer
        permits SentencePieceTokenizer, ByteLevelBpeTokenizer, Llama2cTokenizer {
    protected final Vocabulary vocabulary;
    protected final PieceLookup lookup;
    private final SpecialTokenSplitter splitter;

    protected AbstractTokenizer(Vocabulary vocabulary) {
        this.vocabulary = vocabulary;
        this.lookup = new PieceLookup(vocabulary);
        this.splitter = new SpecialTokenSplitter(vocabulary);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        return encode(text, addBos, splitter.split(text, parseSpecial, null));
    }

    @Override
    public int[] encodeTemplated(String text, java.util.BitSet plainText) {
        return encode(text, false, splitter.split(text, true, plainText));
    }

    private int[] encode(String text, boolean addBos, List<SpecialTokenSplitter.Fragment> fragments) {
        List<Integer> out = new ArrayList<>();
        if (addBos && vocabulary.bos() >= 0) {
            out.add(vocabulary.bos());
        }
        boolean afterSpecialOrStart = true;
        for (SpecialTokenSplitter.Fragment fragment : fragments) {
            if (fragment.isText()) {
                encodeText(fragment.text(), afterSpecialOrStart, out);
                afterSpecialOrStart = false;
            } else {
                out.add(fragment.tokenId());
                afterSpecialOrStart = true;
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Encodes one non-empty run of raw text (no special tokens inside) and appends the ids. */
    protected abstract void encodeText(String text, boolean afterSpecialOrStart, List<Integer> out);

    protected final void checkId(int id) {
        if (id < 0 || id >= vocabulary.size()) {
            throw new IllegalArgumentException("token id " + id + " outside vocabulary of " + vocabulary.size());
        }
    }

    @Override
    public int vocabSize() {
        return vocabulary.size();
    }

    @Override
    public int bos() {
        return vocabulary.bos();
    }

    @Override
    public int eos() {
        return vocabulary.eos();
    }

    @Override
    public String piece(int id) {
        checkId(id);
        return vocabulary.pieces()[id];
    }

    @Override
    public boolean isSpecial(int id) {
        checkId(id);
        int type = vocabulary.tokenTypes()[id];
        return type == TokenType.CONTROL || type == TokenType.UNKNOWN || type == TokenType.USER_DEFINED;
    }

    @Override
    public OptionalInt tokenId(String piece) {
        return lookup.find(piece);
    }

    @Override
    public Vocabulary vocabulary() {
        return vocabulary;
    }
}
